import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { drained } from './io.js';
import { displayWidth, plainTable, printTable, rowsOf, TABLE_SAMPLE_ROWS, tableLines } from './table.js';

/** A real Writable that takes its time (one chunk per event-loop turn), counting lines and its own buffer. */
function slowCountingStream(highWaterMark: number) {
  const seen = { lines: 0, bytes: 0, maxBuffered: 0, text: '' };
  const stream = new Writable({
    highWaterMark,
    decodeStrings: false,
    write(chunk: string, _encoding, callback) {
      seen.maxBuffered = Math.max(seen.maxBuffered, stream.writableLength);
      for (let i = chunk.indexOf('\n'); i >= 0; i = chunk.indexOf('\n', i + 1)) seen.lines += 1;
      seen.bytes += Buffer.byteLength(chunk);
      if (seen.text.length < 4096) seen.text += chunk.slice(0, 4096);
      setImmediate(callback);
    },
  });
  return { stream, seen };
}

function* numberedRows(count: number, produced: { rows: number }) {
  for (let n = 1; n <= count; n += 1) {
    produced.rows = n;
    yield [String(n), `uid-${n.toString(36)}`, `${(n % 900) + 100} B`];
  }
}

describe('tableLines and plainTable', () => {
  it('look as the tables always did: header, two-space gaps, no trailing spaces', () => {
    const folders = plainTable(
      ['FOLDER', 'SPECIAL', 'MESSAGES', 'UNSEEN'],
      [
        ['INBOX', '\\Inbox', '1', '1'],
        ['Sent Items', '\\Sent', '2', '0'],
        ['Deleted Items', '\\Trash', '0', '0'],
        ['Archive', '', '-', '-'],
      ],
    );
    expect(folders).toBe(
      [
        'FOLDER         SPECIAL  MESSAGES  UNSEEN',
        'INBOX          \\Inbox   1         1',
        'Sent Items     \\Sent    2         0',
        'Deleted Items  \\Trash   0         0',
        'Archive                 -         -',
      ].join('\n'),
    );
  });

  it('measures wide characters and emoji as two columns, as the old table library did', () => {
    expect(
      plainTable(
        ['A', 'LONGHEAD', 'C'],
        [
          ['x', 'y', 'zzzz'],
          ['日本語', 'é', '😀x'],
        ],
      ),
    ).toBe('A       LONGHEAD  C\nx       y         zzzz\n日本語  é         😀x');
    expect(displayWidth('e\u0301')).toBe(1);
    expect(displayWidth('ＡＢ')).toBe(4);
  });

  it('keeps each row on one line: newlines and control characters in a cell are shown escaped', () => {
    const lines = [...tableLines(['NAME', 'N'], [['a\nb\u001b]0;t\u0007', '1']])];
    expect(lines).toEqual([`${'NAME'.padEnd(24)}  N`, 'a\\u000ab\\u001b]0;t\\u0007  1']);
  });

  it('takes widths from the first rows; a longer cell later pushes only its own line', () => {
    const lines = [
      ...tableLines(
        ['K', 'V'],
        [
          ['aa', '1'],
          ['b', '2'],
          ['cccc', '3'],
        ],
        { sampleRows: 2 },
      ),
    ];
    expect(lines).toEqual(['K   V', 'aa  1', 'b   2', 'cccc  3']);
  });

  it('prints nothing, not even the header, for no rows when asked', () => {
    expect([...tableLines(['A'], [], { omitIfEmpty: true })]).toEqual([]);
    expect([...tableLines(['A'], [])]).toEqual(['A']);
  });
});

describe('printTable', () => {
  it('streams 200,000 rows to a slow real stream, holding only a chunk or two at any time', async () => {
    const { stream, seen } = slowCountingStream(16 * 1024);
    const produced = { rows: 0 };
    let maxAhead = 0;
    const rows = rowsOf(numberedRows(200_000, produced), (row) => {
      // Rows pulled from the source but not yet taken by the stream: what the printer holds.
      maxAhead = Math.max(maxAhead, produced.rows - seen.lines);
      return row;
    });
    const count = await printTable(
      { write: (text) => stream.write(text), ready: () => drained(stream) },
      ['NUMBER', 'UIDL', 'SIZE'],
      rows,
    );
    await new Promise<void>((resolve) => stream.end(resolve));

    expect(count).toBe(200_000);
    expect(seen.lines).toBe(200_001);
    const [header, first] = seen.text.split('\n');
    expect(header).toMatch(/^NUMBER {2}UIDL +SIZE$/);
    expect(first).toMatch(/^1 +uid-1 +101 B$/);
    // The stream never holds more than its high-water mark plus one 64 K chunk…
    expect(seen.maxBuffered).toBeLessThan(16 * 1024 + 70 * 1024);
    // …and the printer never runs more than the width sample and a few chunks ahead of it.
    expect(maxAhead).toBeLessThan(TABLE_SAMPLE_ROWS + 10_000);
  });

  it('prints 1,000,000 rows without building them into one string', async () => {
    let lines = 0;
    let largestWrite = 0;
    const stream = new Writable({
      decodeStrings: false,
      write(chunk: string, _encoding, callback) {
        largestWrite = Math.max(largestWrite, chunk.length);
        for (let i = chunk.indexOf('\n'); i >= 0; i = chunk.indexOf('\n', i + 1)) lines += 1;
        callback();
      },
    });
    const count = await printTable(
      { write: (text) => stream.write(text), ready: () => drained(stream) },
      ['NUMBER', 'UIDL', 'SIZE'],
      numberedRows(1_000_000, { rows: 0 }),
    );
    expect(count).toBe(1_000_000);
    expect(lines).toBe(1_000_001);
    expect(largestWrite).toBeLessThan(70 * 1024);
  });
});
