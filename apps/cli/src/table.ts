/**
 * Borderless, aligned tables (the look of `kubectl get`), produced line by line: column widths come
 * from the header and the first {@link TABLE_SAMPLE_ROWS} rows, and every later row is printed with
 * those widths as it comes (a longer cell pushes the rest of its own line right). Nothing holds the
 * whole table, so a million rows print in constant memory.
 */
import { escapeControls } from './terminal.js';

/** Rows measured before the first line is printed. */
export const TABLE_SAMPLE_ROWS = 1_000;

/** Lines are handed to the sink in chunks of about this many characters. */
const CHUNK_CHARS = 64 * 1024;

const GAP = '  ';
const ASCII_PRINTABLE = /^[\x20-\x7e]*$/;
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}]$/u;
const EMOJI = /\p{Emoji_Presentation}/u;

/** East Asian wide and fullwidth ranges (CJK, Hangul, fullwidth forms): two columns each. */
function isWide(code: number): boolean {
  return (
    (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0x303e) ||
    (code >= 0x3041 && code <= 0x33ff) ||
    (code >= 0x3400 && code <= 0x4dbf) ||
    (code >= 0x4e00 && code <= 0x9fff) ||
    (code >= 0xa000 && code <= 0xa4cf) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe30 && code <= 0xfe4f) ||
    (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6) ||
    (code >= 0x20000 && code <= 0x3fffd)
  );
}

/** Columns `text` takes on a terminal: wide East Asian characters and emoji 2, combining marks 0. */
export function displayWidth(text: string): number {
  if (ASCII_PRINTABLE.test(text)) return text.length;
  let width = 0;
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (ZERO_WIDTH.test(char) || (code >= 0xfe00 && code <= 0xfe0f)) continue;
    width += isWide(code) || EMOJI.test(char) ? 2 : 1;
  }
  return width;
}

interface MeasuredRow {
  cells: string[];
  widths: number[];
}

function measure(row: readonly string[], columns: number): MeasuredRow {
  const cells: string[] = [];
  const widths: number[] = [];
  for (let i = 0; i < columns; i += 1) {
    const cell = escapeControls(row[i] ?? '', { singleLine: true });
    cells.push(cell);
    widths.push(displayWidth(cell));
  }
  return { cells, widths };
}

function formatRow({ cells, widths }: MeasuredRow, columns: readonly number[]): string {
  let line = '';
  const last = cells.length - 1;
  for (let i = 0; i <= last; i += 1) {
    line += cells[i];
    if (i < last) line += ' '.repeat(Math.max(0, (columns[i] ?? 0) - (widths[i] ?? 0))) + GAP;
  }
  return line.trimEnd();
}

export interface TableOptions {
  /** Rows measured for the column widths before the first line is printed. Default {@link TABLE_SAMPLE_ROWS}. */
  sampleRows?: number;
  /** No header either when there are no rows. Default `false`. */
  omitIfEmpty?: boolean;
}

/**
 * The table's lines, header first, without newlines. Cells are one line each: control characters,
 * tabs and newlines in them are shown escaped.
 */
export function* tableLines(
  head: readonly string[],
  rows: Iterable<readonly string[]>,
  options: TableOptions = {},
): Generator<string, void, undefined> {
  const sampleRows = options.sampleRows ?? TABLE_SAMPLE_ROWS;
  const columns = head.length;
  const header = measure(head, columns);
  const widths = [...header.widths];
  const iterator = rows[Symbol.iterator]();
  const sample: MeasuredRow[] = [];
  let next = iterator.next();
  while (!next.done && sample.length < sampleRows) {
    const row = measure(next.value, columns);
    for (let i = 0; i < columns; i += 1) widths[i] = Math.max(widths[i] ?? 0, row.widths[i] ?? 0);
    sample.push(row);
    next = iterator.next();
  }
  if (sample.length === 0 && options.omitIfEmpty) return;
  yield formatRow(header, widths);
  for (const row of sample.splice(0)) yield formatRow(row, widths);
  while (!next.done) {
    yield formatRow(measure(next.value, columns), widths);
    next = iterator.next();
  }
}

/** The rows of `items`, made one at a time as the table is printed (no second array of a long listing). */
export function* rowsOf<T>(
  items: Iterable<T>,
  cells: (item: T) => readonly string[],
): Generator<readonly string[], void, undefined> {
  for (const item of items) yield cells(item);
}

/** A small table as one string (a listing of unknown length goes through {@link printTable}). */
export function plainTable(head: readonly string[], rows: Iterable<readonly string[]>): string {
  return [...tableLines(head, rows)].join('\n');
}

/** Where {@link printTable} writes: text, and a promise for when the writer has room again. */
export interface TableSink {
  write(text: string): void;
  ready?(): Promise<void>;
}

/**
 * Writes the table to `sink` as it goes, in chunks, waiting for the sink to drain between them.
 * Returns the number of rows printed (the header not counted).
 */
export async function printTable(
  sink: TableSink,
  head: readonly string[],
  rows: Iterable<readonly string[]>,
  options: TableOptions = {},
): Promise<number> {
  let chunk = '';
  let lines = 0;
  for (const line of tableLines(head, rows, options)) {
    chunk += `${line}\n`;
    lines += 1;
    if (chunk.length >= CHUNK_CHARS) {
      sink.write(chunk);
      chunk = '';
      await sink.ready?.();
    }
  }
  if (chunk !== '') sink.write(chunk);
  return Math.max(0, lines - 1);
}
