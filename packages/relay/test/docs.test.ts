/**
 * docs/relay.md's property table is RELAY_PROPERTIES, row for row: the table is generated from the
 * data between its markers. `UPDATE_DOCS=1 pnpm vitest run test/docs.test.ts` rewrites it (then
 * `pnpm format` pads it); the comparison is cell by cell, so the formatter's padding does not count.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { RELAY_PROPERTIES } from '../src/index.js';

const DOC = join(import.meta.dirname, '../../../docs/relay.md');
const START =
  '<!-- relay-properties:start (generated from RELAY_PROPERTIES by packages/relay/test/docs.test.ts) -->';
const END = '<!-- relay-properties:end -->';

const cell = (text: string) => text.replaceAll('|', '\\|');

function table(): string {
  const rows = RELAY_PROPERTIES.map((row) => {
    const fallback =
      row.default !== undefined
        ? `\`${row.default}\``
        : row.derivedDefault
          ? row.derivedDefault
          : row.required
            ? 'required'
            : '—';
    const values = row.values ? ` One of ${row.values.map((v) => `\`${v}\``).join(', ')}.` : '';
    const range = row.range && row.kind === 'int' ? ` ${row.range[0]}–${row.range[1]}.` : '';
    return `| \`${row.name}\` | ${cell(fallback)} | ${cell(`${row.description}${values}${range}`)} |`;
  });
  return ['| property | default | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

/** A Markdown table's cells, row by row, trimmed; the `---` separator row left out. */
function cells(markdown: string): string[][] {
  return markdown
    .split('\n')
    .filter((line) => line.startsWith('|') && !/^\|[\s|:-]+\|$/.test(line))
    .map((line) =>
      line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim()),
    );
}

it('docs/relay.md lists every relay property with its default, as RELAY_PROPERTIES has them', () => {
  const doc = readFileSync(DOC, 'utf8');
  const start = doc.indexOf(START);
  const end = doc.indexOf(END);
  expect(start, 'the start marker').toBeGreaterThanOrEqual(0);
  expect(end, 'the end marker').toBeGreaterThan(start);
  const generated = `${START}\n\n${table()}\n\n${END}`;
  if (process.env.UPDATE_DOCS === '1') {
    writeFileSync(DOC, doc.slice(0, start) + generated + doc.slice(end + END.length));
    return;
  }
  expect(cells(doc.slice(start, end))).toEqual(cells(table()));
});
