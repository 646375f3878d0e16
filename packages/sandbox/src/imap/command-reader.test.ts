import { describe, expect, it } from 'vitest';
import { CommandReader, type FramedCommand } from './command-reader.js';

interface Recorded {
  commands: FramedCommand[];
  events: string[];
}

function reader(limits = { maxLineBytes: 1000, maxLiteralBytes: 100 }): [CommandReader, Recorded] {
  const recorded: Recorded = { commands: [], events: [] };
  const instance = new CommandReader(limits, {
    command: (command) => recorded.commands.push(command),
    continueLiteral: () => recorded.events.push('continue'),
    literalTooLarge: (line, size) => recorded.events.push(`too-large ${line} ${size}`),
    lineTooLong: () => recorded.events.push('line-too-long'),
  });
  return [instance, recorded];
}

const INPUT = 'a1 NOOP\r\na2 APPEND INBOX {5}\r\nhello\r\na3 LOGIN {1+}\r\nx {2}\r\nyz\r\n';
const EXPECTED: FramedCommand[] = [
  { lines: ['a1 NOOP'], literals: [] },
  { lines: ['a2 APPEND INBOX {5}', ''], literals: [Buffer.from('hello')] },
  { lines: ['a3 LOGIN {1+}', ' {2}', ''], literals: [Buffer.from('x'), Buffer.from('yz')] },
];

describe('CommandReader', () => {
  it('frames lines and literals, asking to continue only for synchronising literals', () => {
    const [instance, recorded] = reader();
    instance.push(Buffer.from(INPUT));
    expect(recorded.commands).toEqual(EXPECTED);
    expect(recorded.events).toEqual(['continue', 'continue']);
  });

  it('yields the same commands for every way of splitting the input in two, and byte by byte', () => {
    const bytes = Buffer.from(INPUT);
    for (let split = 0; split <= bytes.length; split++) {
      const [instance, recorded] = reader();
      instance.push(bytes.subarray(0, split));
      instance.push(bytes.subarray(split));
      expect(recorded.commands).toEqual(EXPECTED);
    }
    const [instance, recorded] = reader();
    for (const byte of bytes) instance.push(Buffer.from([byte]));
    expect(recorded.commands).toEqual(EXPECTED);
  });

  it('keeps literal bytes exactly, CRLF and NUL included', () => {
    const [instance, recorded] = reader();
    instance.push(Buffer.from('a APPEND X {6}\r\n\r\n\0\r\n.\r\n'));
    expect(recorded.commands[0]!.literals[0]).toEqual(Buffer.from('\r\n\0\r\n.'));
  });

  it('refuses an oversized synchronising literal and treats the next line as a new command', () => {
    const [instance, recorded] = reader();
    instance.push(Buffer.from('a1 APPEND INBOX {101}\r\na2 NOOP\r\n'));
    expect(recorded.events).toEqual(['too-large a1 APPEND INBOX {101} 101']);
    expect(recorded.commands).toEqual([{ lines: ['a2 NOOP'], literals: [] }]);
  });

  it('skips the bytes of an oversized LITERAL+ and the rest of its command without buffering them', () => {
    const [instance, recorded] = reader();
    instance.push(Buffer.from(`a1 APPEND INBOX {200+}\r\n${'x'.repeat(200)} {3+}\r\nabc\r\na2 NOOP\r\n`));
    expect(recorded.events).toEqual(['too-large a1 APPEND INBOX {200+} 200']);
    expect(recorded.commands).toEqual([{ lines: ['a2 NOOP'], literals: [] }]);
  });

  it('counts all literals of one command against the limit', () => {
    const [instance, recorded] = reader();
    instance.push(Buffer.from(`a1 X {60+}\r\n${'x'.repeat(60)} {60}\r\n`));
    expect(recorded.events).toEqual(['too-large a1 X {60+} 60']);
  });

  it('reports a line over the limit once and stops reading', () => {
    const [instance, recorded] = reader({ maxLineBytes: 10, maxLiteralBytes: 10 });
    instance.push(Buffer.from('a1 NOOP and more\r\na2 NOOP\r\n'));
    instance.push(Buffer.from('a3 NOOP\r\n'));
    expect(recorded.events).toEqual(['line-too-long']);
    expect(recorded.commands).toEqual([]);
  });

  it('ignores everything after stop()', () => {
    const [instance, recorded] = reader();
    instance.push(Buffer.from('a1 NOOP\r\n'));
    instance.stop();
    instance.push(Buffer.from('a2 NOOP\r\n'));
    expect(recorded.commands.map((c) => c.lines[0])).toEqual(['a1 NOOP']);
  });
});
