/**
 * docs/observability.md's tables are INSTRUMENTS and SPANS, row for row: each is generated from the
 * data between its markers. `UPDATE_DOCS=1 pnpm vitest run packages/core/src/telemetry/docs.test.ts`
 * rewrites them (then `pnpm biome format --write docs/observability.md` pads them); the comparison is
 * cell by cell, so the formatter's padding does not count.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { INSTRUMENTS, SPANS } from './instruments.js';

const DOC = join(import.meta.dirname, '../../../../docs/observability.md');

const cell = (text: string) => text.replaceAll('|', '\\|');
const keys = (attributes: readonly string[]) => attributes.map((key) => `\`${key}\``).join(', ');

const TABLES = {
  instruments: () => [
    '| metric | kind | unit | attributes | what it counts |',
    '| --- | --- | --- | --- | --- |',
    ...INSTRUMENTS.map(
      (row) =>
        `| \`${row.name}\` | ${row.kind} | \`${row.unit}\` | ${keys(row.attributes)} | ${cell(row.description)} |`,
    ),
  ],
  spans: () => [
    '| span | attributes | what it covers |',
    '| --- | --- | --- |',
    ...SPANS.map((row) => `| \`${row.name}\` | ${keys(row.attributes)} | ${cell(row.description)} |`),
  ],
};

/** A Markdown table's cells, row by row, trimmed; the `---` separator row left out. */
function cells(markdown: string): string[][] {
  return markdown
    .split('\n')
    .filter((line) => line.startsWith('|') && !/^\|[\s|:-]+\|$/.test(line))
    .map((line) =>
      line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((text) => text.trim()),
    );
}

it.each(Object.entries(TABLES))(
  'docs/observability.md’s %s table is the code’s, cell by cell',
  (name, table) => {
    const start = `<!-- ${name}:start (generated from packages/core/src/telemetry/instruments.ts by docs.test.ts) -->`;
    const end = `<!-- ${name}:end -->`;
    const doc = readFileSync(DOC, 'utf8');
    const from = doc.indexOf(start);
    const to = doc.indexOf(end);
    expect(from, 'the start marker').toBeGreaterThanOrEqual(0);
    expect(to, 'the end marker').toBeGreaterThan(from);
    const generated = table().join('\n');
    if (process.env.UPDATE_DOCS === '1') {
      writeFileSync(DOC, `${doc.slice(0, from)}${start}\n\n${generated}\n\n${doc.slice(to)}`);
      return;
    }
    expect(cells(doc.slice(from, to))).toEqual(cells(generated));
  },
);
