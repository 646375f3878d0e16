/** The results table (plain text, aligned columns) and the JSON file. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ResultRow } from './harness.js';

const HEADERS = ['benchmark', 'contender', 'median', 'spread', 'ratio to raw', 'target', 'verdict', 'note'];

function formatNumber(value: number): string {
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

function cells(row: ResultRow): string[] {
  const ratio =
    row.ratio === undefined
      ? ''
      : row.ratioRange
        ? `${row.ratio.toFixed(2)}× (${row.ratioRange[0].toFixed(2)}–${row.ratioRange[1].toFixed(2)})`
        : `${row.ratio.toFixed(2)}×`;
  return [
    row.benchmark,
    row.contender,
    `${formatNumber(row.median)} ${row.unit}`,
    row.spread === 0 ? '' : `±${((row.spread / 2) * 100).toFixed(0)}%`,
    ratio,
    row.target ?? '',
    row.verdict,
    [row.ratioTo === undefined ? '' : `ratio to ${row.ratioTo}`, row.note ?? ''].filter(Boolean).join('; '),
  ];
}

/** A Markdown table (readable in a terminal and pasteable into the README). */
export function formatTable(rows: readonly ResultRow[]): string {
  const body = rows.map(cells);
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (values: readonly string[]) =>
    `| ${values.map((v, i) => v.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(HEADERS), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

/** Writes the rows with the run's circumstances, for comparing runs (creating the file's folder). */
export async function writeJson(
  path: string,
  rows: readonly ResultRow[],
  meta: Record<string, unknown>,
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify({ ...meta, results: rows }, null, 2)}\n`);
}
