import { describe, expect, it } from 'vitest';
import { argText, ImapSyntaxError, parseCommand, tagOf } from './tokenizer.js';

const one = (line: string) => parseCommand({ lines: [line], literals: [] });

describe('parseCommand', () => {
  it('reads tag, upper-cased name and atoms, strings and nested lists', () => {
    expect(one('a1 store 1:3 +FLAGS.SILENT (\\Seen "x y" (NIL))')).toEqual({
      tag: 'a1',
      name: 'STORE',
      args: [
        { type: 'atom', value: '1:3' },
        { type: 'atom', value: '+FLAGS.SILENT' },
        {
          type: 'list',
          items: [
            { type: 'atom', value: '\\Seen' },
            { type: 'string', value: 'x y', bytes: Buffer.from('x y') },
            { type: 'list', items: [{ type: 'atom', value: 'NIL' }] },
          ],
        },
      ],
    });
  });

  it('joins UID with its command and keeps FETCH body sections (spaces, parens, partials) as one atom', () => {
    const command = one('7 UID FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.100> BODY[1.2])');
    expect(command.name).toBe('UID FETCH');
    const items = command.args[1];
    expect(items?.type === 'list' && items.items.map(argText)).toEqual([
      'UID',
      'BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.100>',
      'BODY[1.2]',
    ]);
  });

  it('unescapes quoted strings and takes literals from the framed command', () => {
    expect(one('a LIST "" "a \\"b\\" \\\\c"').args.map(argText)).toEqual(['', 'a "b" \\c']);
    const command = parseCommand({
      lines: ['a APPEND INBOX (\\Seen) {3}', ''],
      literals: [Buffer.from('a\r\n')],
    });
    expect(command.args[2]).toEqual({ type: 'string', value: 'a\r\n', bytes: Buffer.from('a\r\n') });
  });

  it.each([
    ['a1 FETCH (1', 'Unterminated list'],
    ['a1 SELECT "x', 'Unterminated quoted string'],
    ['a1 FETCH 1 BODY[TEXT', 'Unbalanced'],
    ['a1', 'Missing command'],
    ['a1 SELECT  INBOX', 'Unexpected character'],
  ])('rejects %j with a syntax error that keeps the tag', (line, message) => {
    let error: unknown;
    try {
      one(line);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ImapSyntaxError);
    expect((error as ImapSyntaxError).tag).toBe('a1');
    expect((error as ImapSyntaxError).message).toContain(message);
  });

  it('has no tag for garbage', () => {
    expect(tagOf('\x00\x01 x')).toBeUndefined();
    expect(tagOf('* NOOP')).toBeUndefined();
    expect(() => one('')).toThrow('Invalid tag');
  });
});
