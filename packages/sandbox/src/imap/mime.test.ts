import { describe, expect, it } from 'vitest';
import { type ResponsePart, toWire } from './format.js';
import { bodyStructure, envelope, findPart, headerFields, parseAddresses, parseMime } from './mime.js';

const wire = (part: ResponsePart) => toWire(part).toString();

const NESTED = Buffer.from(
  [
    'From: "Doe, Jane" <jane@contoso.com>',
    'To: bob@contoso.com, Team: carol@contoso.com, dan@contoso.com;',
    'Subject: =?UTF-8?B?WmHFvMOzxYLEhw==?=',
    'Date: Tue, 03 Mar 2026 09:41:07 +0000',
    'Message-ID: <m1@contoso.com>',
    'Content-Type: multipart/mixed; boundary="outer"',
    '',
    'preamble',
    '--outer',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'line one',
    'line two',
    '--outer',
    'Content-Type: message/rfc822',
    '',
    'Subject: inner',
    'Content-Type: multipart/alternative; boundary=inner',
    '',
    '--inner',
    'Content-Type: text/plain',
    '',
    'inner text',
    '--inner',
    'Content-Type: text/html',
    '',
    '<p>inner</p>',
    '--inner--',
    '--outer',
    'Content-Type: application/pdf; name=a.pdf',
    'Content-Disposition: attachment; filename="a.pdf"',
    'Content-Transfer-Encoding: base64',
    '',
    'JVBERg==',
    '--outer--',
    '',
  ].join('\r\n'),
);

describe('parseMime', () => {
  const root = parseMime(NESTED);

  it('splits multiparts at boundary lines (the CRLF before a boundary belongs to it)', () => {
    expect(root.children.map((c) => `${c.type}/${c.subtype}`)).toEqual([
      'text/plain',
      'message/rfc822',
      'application/pdf',
    ]);
    expect(root.children[0]!.body.toString()).toBe('line one\r\nline two');
    expect(root.children[1]!.message?.children.map((c) => c.body.toString())).toEqual([
      'inner text',
      '<p>inner</p>',
    ]);
  });

  it('finds parts by IMAP part numbers, through an enclosed message', () => {
    expect(findPart(root, [1])?.body.toString()).toBe('line one\r\nline two');
    expect(findPart(root, [2, 2])?.body.toString()).toBe('<p>inner</p>');
    expect(findPart(root, [3])?.params.get('name')).toBe('a.pdf');
    expect(findPart(root, [4])).toBeUndefined();
    const single = parseMime(Buffer.from('Subject: x\r\n\r\nbody\r\n'));
    expect(findPart(single, [1])?.body.toString()).toBe('body\r\n');
    expect(findPart(single, [2])).toBeUndefined();
  });

  it('renders BODYSTRUCTURE with extension data, and BODY without', () => {
    const text = wire(bodyStructure(root, true));
    expect(text).toMatch(/^\(\("TEXT" "PLAIN" \("CHARSET" "utf-8"\) NIL NIL "7BIT" 18 2 NIL NIL NIL NIL\)/);
    expect(text).toContain('"MESSAGE" "RFC822" NIL NIL NIL "7BIT"');
    expect(text).toContain('("ATTACHMENT" ("FILENAME" "a.pdf"))');
    expect(text).toMatch(/ "MIXED" \("BOUNDARY" "outer"\) NIL NIL NIL\)$/);
    expect(wire(bodyStructure(root, false))).toMatch(/ "MIXED"\)$/);
  });

  it('renders ENVELOPE with raw header values and flattened groups', () => {
    expect(wire(envelope(root))).toBe(
      '("Tue, 03 Mar 2026 09:41:07 +0000" "=?UTF-8?B?WmHFvMOzxYLEhw==?=" ' +
        '(("Doe, Jane" NIL "jane" "contoso.com")) (("Doe, Jane" NIL "jane" "contoso.com")) ' +
        '(("Doe, Jane" NIL "jane" "contoso.com")) ' +
        '((NIL NIL "bob" "contoso.com") (NIL NIL "carol" "contoso.com") (NIL NIL "dan" "contoso.com")) ' +
        'NIL NIL NIL "<m1@contoso.com>")',
    );
  });

  it('selects header fields (and their continuation lines) case-insensitively', () => {
    const header = Buffer.from('Subject: a\r\n b\r\nFrom: x@y\r\nTo: z@y\r\n\r\n');
    expect(headerFields(header, ['subject', 'TO'], false).toString()).toBe(
      'Subject: a\r\n b\r\nTo: z@y\r\n\r\n',
    );
    expect(headerFields(header, ['subject', 'TO'], true).toString()).toBe('From: x@y\r\n\r\n');
  });

  it('parses bare, angled and named addresses', () => {
    expect(parseAddresses('a@b.test, Name <c@d.test>, <e@f.test>')).toEqual([
      { mailbox: 'a', host: 'b.test' },
      { name: 'Name', mailbox: 'c', host: 'd.test' },
      { mailbox: 'e', host: 'f.test' },
    ]);
    expect(parseAddresses(undefined)).toEqual([]);
  });
});
