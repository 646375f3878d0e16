import { describe, expect, it } from 'vitest';
import { normalizeLineEndings } from './line-endings.js';

describe('normalizeLineEndings', () => {
  it('returns the same Buffer when every line already ends with CRLF', () => {
    const raw = Buffer.from('a\r\nb\r\n');
    expect(normalizeLineEndings(raw)).toBe(raw);
  });

  it.each([
    ['bare LF', 'a\nb\n', 'a\r\nb\r\n'],
    ['bare CR', 'a\rb\r', 'a\r\nb\r\n'],
    ['mixed', 'a\r\nb\nc\rd', 'a\r\nb\r\nc\r\nd'],
    ['leading LF', '\nx', '\r\nx'],
    ['CR CR LF', 'a\r\r\nb', 'a\r\n\r\nb'],
    ['a lone dot line stays content', 'x\n.\ny', 'x\r\n.\r\ny'],
  ])('%s', (_name, input, expected) => {
    expect(normalizeLineEndings(Buffer.from(input, 'latin1')).toString('latin1')).toBe(expected);
  });
});
