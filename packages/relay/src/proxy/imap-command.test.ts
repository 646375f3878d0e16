import { describe, expect, it } from 'vitest';
import { type FramedStep, ImapCommandFramer } from './imap-command.js';
import { LineBuffer, LineTooLongError } from './line-buffer.js';

/** Feeds `chunks` one after another and collects every step. */
function frame(chunks: string[], maxBytes = 1024): FramedStep[] {
  const buffer = new LineBuffer(maxBytes);
  const framer = new ImapCommandFramer(maxBytes);
  const steps: FramedStep[] = [];
  for (const chunk of chunks) {
    buffer.push(Buffer.from(chunk));
    for (let step = framer.read(buffer); step !== undefined; step = framer.read(buffer)) steps.push(step);
  }
  return steps;
}

describe('ImapCommandFramer', () => {
  it('reads tag, upper-cased name, atoms, quoted strings with escapes, NIL and lists', () => {
    expect(frame(['a1 login "us\\"er" "p\\\\w d"\r\nx ID ("name" "client" "os" NIL)\r\n'])).toEqual([
      { kind: 'command', command: { tag: 'a1', name: 'LOGIN', args: ['us"er', 'p\\w d'] } },
      { kind: 'command', command: { tag: 'x', name: 'ID', args: [['name', 'client', 'os', null]] } },
    ]);
  });

  it('asks for a synchronising literal, not for a non-synchronising one, and splices both in', () => {
    expect(frame(['a LOGIN {4}\r\n', 'user {5+}\r\npäss\r\n'])).toEqual([
      { kind: 'literal' },
      { kind: 'command', command: { tag: 'a', name: 'LOGIN', args: ['user', 'päss'] } },
    ]);
  });

  it('waits for the bytes of a literal split across reads, CR LF inside it included', () => {
    expect(frame(['a LOGIN u {5}\r\n', 'a\r', '\nbc', '\r\n'])).toEqual([
      { kind: 'literal' },
      { kind: 'command', command: { tag: 'a', name: 'LOGIN', args: ['u', 'a\r\nbc'] } },
    ]);
  });

  it('accepts a bare LF line end', () => {
    expect(frame(['a NOOP\n'])).toEqual([{ kind: 'command', command: { tag: 'a', name: 'NOOP', args: [] } }]);
  });

  it('answers what is not IMAP with the tag when there is one', () => {
    expect(frame(['a LOGIN "unterminated\r\n', '\r\n', 'b (\r\n'])).toEqual([
      { kind: 'bad', tag: 'a', reason: 'Unterminated quoted string.' },
      { kind: 'bad', tag: undefined, reason: 'Missing tag.' },
      { kind: 'bad', tag: 'b', reason: 'Unbalanced parenthesis.' },
    ]);
  });

  it('refuses a literal announced beyond the bound before reading it, and a line beyond it', () => {
    expect(() => frame(['a LOGIN {2000}\r\n'], 1024)).toThrow(LineTooLongError);
    expect(() => frame([`a LOGIN ${'x'.repeat(1100)}`], 1024)).toThrow(LineTooLongError);
    // Lines and literals of one command count together.
    expect(() => frame(['a LOGIN {600}\r\n', `${'x'.repeat(600)} {600}\r\n`], 1024)).toThrow(
      LineTooLongError,
    );
  });
});
