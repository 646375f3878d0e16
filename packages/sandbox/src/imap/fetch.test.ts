import { describe, expect, it } from 'vitest';
import { parseFetchItems, renderFetch, setsSeen } from './fetch.js';
import { toWire } from './format.js';
import { parseCommand } from './tokenizer.js';

const items = (text: string, byUid = false) =>
  parseFetchItems(parseCommand({ lines: [`a FETCH 1 ${text}`], literals: [] }).args[1], byUid);

const MESSAGE = {
  uid: 42,
  raw: Buffer.from('Subject: Hi\r\nFrom: a@b.test\r\n\r\nHello world\r\n'),
  flags: new Set(['\\Seen']),
  internalDate: new Date(Date.UTC(2026, 1, 3, 4, 5, 6)),
};

describe('FETCH items', () => {
  it('expands macros and adds UID for UID FETCH', () => {
    expect(items('FAST').map((i) => i.kind)).toEqual(['FLAGS', 'INTERNALDATE', 'RFC822.SIZE']);
    expect(items('FLAGS', true).map((i) => i.kind)).toEqual(['UID', 'FLAGS']);
  });

  it('knows which items set \\Seen', () => {
    expect(setsSeen(items('(BODY.PEEK[] RFC822.HEADER)'))).toBe(false);
    expect(setsSeen(items('BODY[TEXT]'))).toBe(true);
    expect(setsSeen(items('RFC822'))).toBe(true);
  });

  it('rejects unknown items and sections', () => {
    expect(() => items('FOO')).toThrow('Unknown FETCH item');
    expect(() => items('BODY[NOPE]')).toThrow('Invalid body section');
  });

  it('renders flags, dates, sizes, sections and partials as literals', () => {
    const rendered = toWire(
      renderFetch(
        MESSAGE,
        items('(UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS (FROM)] BODY[TEXT]<6.5>)'),
      ),
    ).toString();
    expect(rendered).toBe(
      '(UID 42 FLAGS (\\Seen) INTERNALDATE "03-Feb-2026 04:05:06 +0000" RFC822.SIZE 44 ' +
        'BODY[HEADER.FIELDS (FROM)] {18}\r\nFrom: a@b.test\r\n\r\n BODY[TEXT]<6> {5}\r\nworld)',
    );
  });
});
