import { describe, expect, it } from 'vitest';
import { imapDateTime, imapString, parseImapDate, toWire } from './format.js';

describe('format', () => {
  it('quotes simple strings and switches to literals for CRLF or 8-bit text', () => {
    expect(imapString('Sent "Items" \\')).toBe('"Sent \\"Items\\" \\\\"');
    expect(toWire(imapString('a\r\nb')).toString()).toBe('{4}\r\na\r\nb');
    expect(toWire(imapString('Zażółć')).toString()).toBe('{10}\r\nZażółć');
  });

  it('round-trips IMAP date-times with zones', () => {
    const date = parseImapDate('17-Jul-1996 02:44:25 -0700');
    expect(date?.toISOString()).toBe('1996-07-17T09:44:25.000Z');
    expect(imapDateTime(date!)).toBe('"17-Jul-1996 09:44:25 +0000"');
    expect(parseImapDate(' 1-Feb-1994')?.toISOString()).toBe('1994-02-01T00:00:00.000Z');
    expect(parseImapDate('31-Foo-1994')).toBeUndefined();
  });
});
