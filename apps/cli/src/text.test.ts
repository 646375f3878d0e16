import { describe, expect, it } from 'vitest';
import { formatDate, formatSize, oneLine, positiveInteger } from './text.js';

describe('text helpers', () => {
  it('makes one shortened line, control characters shown escaped', () => {
    expect(oneLine('  a\n b  c ', 10)).toBe('a b c');
    expect(oneLine('abcdefghijkl', 5)).toBe('abcd…');
    expect(oneLine('a\u001b[31mred\u0007\r\nb\tc')).toBe('a\\u001b[31mred\\u0007 b c');
  });

  it('formats sizes and UTC dates', () => {
    expect(formatSize(512)).toBe('512 B');
    expect(formatSize(1536)).toBe('1.5 KB');
    expect(formatSize(3 * 1024 * 1024)).toBe('3.0 MB');
    expect(formatDate('2026-11-29T06:12:34Z')).toBe('2026-11-29 06:12');
    expect(formatDate(undefined)).toBe('-');
    expect(formatDate('not a date')).toBe('-');
  });

  it('accepts positive whole numbers only', () => {
    expect(positiveInteger('20', '--limit')).toBe(20);
    for (const bad of ['0', '-1', '1.5', 'x', '']) {
      expect(() => positiveInteger(bad, '--limit')).toThrow('--limit needs a positive whole number');
    }
  });
});
