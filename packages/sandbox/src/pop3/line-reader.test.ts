import { describe, expect, it } from 'vitest';
import { LineReader } from './line-reader.js';

const text = (lines: Buffer[]) => lines.map((l) => l.toString('latin1'));

describe('LineReader', () => {
  it('returns the same lines however the bytes are chunked', () => {
    const input = 'CAPA\r\nSTAT\r\nLIST 1\nQUIT\r\n';
    for (let size = 1; size <= input.length; size++) {
      const reader = new LineReader(100);
      const lines: string[] = [];
      for (let at = 0; at < input.length; at += size) {
        lines.push(...text(reader.push(Buffer.from(input.slice(at, at + size))).lines));
      }
      expect(lines).toEqual(['CAPA', 'STAT', 'LIST 1', 'QUIT']);
    }
  });

  it('keeps an unfinished line until its end arrives', () => {
    const reader = new LineReader(100);
    expect(text(reader.push(Buffer.from('NO')).lines)).toEqual([]);
    expect(text(reader.push(Buffer.from('OP\r')).lines)).toEqual([]);
    expect(text(reader.push(Buffer.from('\n')).lines)).toEqual(['NOOP']);
  });

  it('accepts a line of exactly the limit and flags a longer one, complete or not', () => {
    expect(new LineReader(4).push(Buffer.from('ABCD\r\n'))).toMatchObject({ overflow: false });
    const complete = new LineReader(4).push(Buffer.from('OK\r\nABCDE\r\nNOOP\r\n'));
    expect(text(complete.lines)).toEqual(['OK']);
    expect(complete.overflow).toBe(true);
    const reader = new LineReader(4);
    expect(reader.push(Buffer.from('ABCD\r')).overflow).toBe(false);
    expect(reader.push(Buffer.from('XYZ')).overflow).toBe(true);
    expect(reader.push(Buffer.from('NOOP\r\n'))).toEqual({ lines: [], overflow: true });
  });

  it('forgets a partial line on reset', () => {
    const reader = new LineReader(100);
    reader.push(Buffer.from('INJECTED'));
    reader.reset();
    expect(text(reader.push(Buffer.from('CAPA\r\n')).lines)).toEqual(['CAPA']);
  });
});
