import { describe, expect, it } from 'vitest';
import { LineBuffer, LineTooLongError } from './line-buffer.js';

describe('LineBuffer', () => {
  it('cuts CRLF and LF lines across chunks and keeps the rest for takeAll', () => {
    const buffer = new LineBuffer(100);
    buffer.push(Buffer.from('one\r'));
    expect(buffer.line()).toBeUndefined();
    buffer.push(Buffer.from('\ntwo\nthr'));
    expect(buffer.line()?.toString()).toBe('one');
    expect(buffer.line()?.toString()).toBe('two');
    expect(buffer.line()).toBeUndefined();
    expect(buffer.takeAll().toString()).toBe('thr');
    expect(buffer.length).toBe(0);
  });

  it('hands out exact byte counts for literals', () => {
    const buffer = new LineBuffer(100);
    buffer.push(Buffer.from('ab\r\ncd'));
    expect(buffer.bytes(7)).toBeUndefined();
    expect(buffer.bytes(4)?.toString()).toBe('ab\r\n');
    expect(buffer.line()).toBeUndefined();
  });

  it('throws at the bound, whether the line end came or not', () => {
    const open = new LineBuffer(4);
    open.push(Buffer.from('12345'));
    expect(() => open.line()).toThrow(LineTooLongError);
    const closed = new LineBuffer(4);
    closed.push(Buffer.from('12345\r\n'));
    expect(() => closed.line()).toThrow(LineTooLongError);
    const fits = new LineBuffer(4);
    fits.push(Buffer.from('1234\r\n'));
    expect(fits.line()?.toString()).toBe('1234');
  });
});
