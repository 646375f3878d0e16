import { isKalistoError } from '@kalisto/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Pop3StatusLine } from './errors.js';
import { type Pop3ReplyKind, Pop3ResponseParser } from './response-parser.js';

const endpoint = { protocol: 'pop3s', host: '127.0.0.1', port: 995 };

/** What the parser reported for one reply. */
interface Parsed {
  status: Pop3StatusLine;
  body?: Buffer;
}

/** Queues one handler per kind, feeds the chunks, and returns what each reply produced. */
function parse(kinds: readonly Pop3ReplyKind[], chunks: readonly Buffer[], maxLineLength?: number): Parsed[] {
  const parser = new Pop3ResponseParser({ endpoint, ...(maxLineLength ? { maxLineLength } : {}) });
  const results: Parsed[] = [];
  for (const kind of kinds) {
    const pieces: Buffer[] = [];
    parser.expect({
      kind,
      onStatus: (status) => results.push({ status }),
      onBody: (chunk, start, end) => pieces.push(Buffer.from(chunk.subarray(start, end))),
      onEnd: () => {
        const last = results[results.length - 1] as Parsed;
        last.body = Buffer.concat(pieces);
      },
    });
  }
  // The parser unstuffs in place, so each run gets its own copy of the bytes, as from a socket.
  for (const chunk of chunks) parser.push(Buffer.from(chunk));
  return results;
}

/** RFC 1939 byte-stuffing as a server does it: a dot before every line that starts with one. */
function stuff(lines: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [];
  for (const line of lines) {
    if (line[0] === 0x2e) parts.push(Buffer.from('.'));
    parts.push(line, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('.\r\n'));
  return Buffer.concat(parts);
}

function splitAt(data: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const point of points) {
    if (point > start) chunks.push(data.subarray(start, point));
    start = Math.max(start, point);
  }
  if (start < data.length) chunks.push(data.subarray(start));
  return chunks;
}

// Lines of a message body: any byte but LF (CR included), often starting with dots; some long
// enough that the next dot line lies past the parser's short search (NEAR_SCAN_BYTES).
const bodyLine = fc.oneof(
  fc.uint8Array({ maxLength: 12 }).map((a) => Buffer.from(a.filter((b) => b !== 0x0a))),
  fc
    .uint8Array({ minLength: 240, maxLength: 300 })
    .map((a) => Buffer.from(a.map((b) => (b === 0x0a ? 0x20 : b)))),
  fc.constantFrom('.', '..', '.x', '. ', '.\r', '', 'From x', '.\r\r').map((s) => Buffer.from(s, 'latin1')),
);
const statusText = fc.string({ maxLength: 20 }).map((s) => s.replace(/[\r\n]/g, ''));

interface ModelReply {
  kind: Pop3ReplyKind;
  type: Pop3StatusLine['type'];
  text: string;
  lines: readonly Buffer[];
}

const reply: fc.Arbitrary<ModelReply> = fc.oneof(
  fc.record({
    kind: fc.constant<Pop3ReplyKind>('single'),
    type: fc.constantFrom<Pop3StatusLine['type']>('ok', 'err'),
    text: statusText,
    lines: fc.constant([]),
  }),
  fc.record({
    kind: fc.constant<Pop3ReplyKind>('multi'),
    type: fc.constantFrom<Pop3StatusLine['type']>('ok', 'err'),
    text: statusText,
    lines: fc.array(bodyLine, { maxLength: 8 }),
  }),
  fc.record({
    kind: fc.constant<Pop3ReplyKind>('auth'),
    type: fc.constantFrom<Pop3StatusLine['type']>('ok', 'err', 'continue'),
    text: statusText,
    lines: fc.constant([]),
  }),
);

function wire(r: ModelReply): Buffer {
  const prefix = r.type === 'ok' ? '+OK' : r.type === 'err' ? '-ERR' : '+';
  const status = Buffer.from(`${prefix} ${r.text}\r\n`, 'utf8');
  return r.kind === 'multi' && r.type === 'ok' ? Buffer.concat([status, stuff(r.lines)]) : status;
}

function expected(r: ModelReply): { type: string; text: string; body?: string } {
  const body = r.lines.map((l) => Buffer.concat([l, Buffer.from('\r\n')]));
  return {
    type: r.type,
    text: r.text,
    ...(r.kind === 'multi' && r.type === 'ok' ? { body: Buffer.concat(body).toString('latin1') } : {}),
  };
}

const view = (p: Parsed) => ({
  type: p.status.type,
  text: p.status.text,
  ...(p.body === undefined ? {} : { body: p.body.toString('latin1') }),
});

describe('Pop3ResponseParser', () => {
  it('parses 10,000 generated reply streams the same whatever the chunk boundaries', () => {
    fc.assert(
      fc.property(
        fc.array(reply, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (replies, cuts) => {
          const data = Buffer.concat(replies.map(wire));
          const kinds = replies.map((r) => r.kind);
          const whole = parse(kinds, [data]).map(view);
          expect(whole).toEqual(replies.map(expected));
          expect(parse(kinds, splitAt(data, cuts)).map(view)).toEqual(whole);
        },
      ),
      { numRuns: 10_000 },
    );
  });

  it('parses byte by byte: every split of the terminating CRLF.CRLF', () => {
    const data = Buffer.from('+OK 2 octets\r\n..a\r\n..\r\nb\r\n.\r\n+OK next\r\n');
    const chunks = [...data].map((b) => Buffer.from([b]));
    expect(parse(['multi', 'single'], chunks).map(view)).toEqual([
      { type: 'ok', text: '2 octets', body: '.a\r\n.\r\nb\r\n' },
      { type: 'ok', text: 'next' },
    ]);
  });

  it('answers malformed replies with a typed POP3_PROTOCOL_ERROR, however they are split', () => {
    const garbage = fc
      .string({ minLength: 1, maxLength: 30 })
      .map((s) => s.replace(/[\r\n]/g, ''))
      .filter((s) => !/^(\+OK|-ERR|\+)( |$)/.test(s));
    fc.assert(
      fc.property(garbage, fc.array(fc.nat(), { maxLength: 5 }), (line, cuts) => {
        const data = Buffer.from(`+OK fine\r\n${line}\r\n`);
        let error: unknown;
        try {
          parse(['single', 'single'], splitAt(data, cuts));
        } catch (e) {
          error = e;
        }
        expect(isKalistoError(error) && error.code).toBe('POP3_PROTOCOL_ERROR');
      }),
      { numRuns: 1_000 },
    );
  });

  it('refuses a status line longer than the bound before its end arrives', () => {
    const parser = new Pop3ResponseParser({ endpoint, maxLineLength: 64 });
    parser.expect({ kind: 'single', verb: 'NOOP', onStatus: () => undefined });
    let pushed = 0;
    expect(() => {
      for (let i = 0; i < 10; i++, pushed++) parser.push(Buffer.from('+OK '.padEnd(16, 'x')));
    }).toThrow(expect.objectContaining({ code: 'POP3_RESPONSE_TOO_LARGE' }));
    // Refused by the chunk that crossed 64 bytes: the fifth of 16.
    expect(pushed).toBe(4);
    expect(parser.buffered).toBeLessThanOrEqual(64 + 16);
  });

  it('bounds status lines by maxResponseBytes when it is below maxLineLength, naming the property', () => {
    const parser = new Pop3ResponseParser({ endpoint, maxLineLength: 8192, maxResponseBytes: 1024 });
    parser.expect({ kind: 'single', verb: 'STAT', onStatus: () => undefined });
    expect(() => parser.push(Buffer.alloc(2000, 0x2b))).toThrow(
      /sent a reply \(or a line of one\) larger than 1024 bytes \(mail\.pop3s\.maxResponseBytes\) in reply to STAT/,
    );
  });

  it('bounds a line inside a body, however it is split, and only a line: long bodies pass', () => {
    const limit = 1000;
    const lineOf = (n: number) => `${'x'.repeat(n - 2)}\r\n`;
    /** Feeds the reply in reads of the given sizes (cycled), as a socket would; returns the body bytes. */
    const feed = (body: string, sizes: readonly number[]) => {
      const parser = new Pop3ResponseParser({ endpoint, maxResponseBytes: limit });
      let bytes = 0;
      parser.expect({
        kind: 'multi',
        verb: 'RETR',
        onStatus: () => undefined,
        onBody: (_chunk, start, end) => {
          bytes += end - start;
        },
      });
      const data = Buffer.from(`+OK\r\n${body}.\r\n`);
      for (let at = 0, i = 0; at < data.length; i++) {
        const size = sizes[i % sizes.length] as number;
        parser.push(Buffer.from(data.subarray(at, at + size)));
        at += size;
      }
      return bytes;
    };
    // Reads smaller than the bound: the only slack the bound allows is one read.
    const reads = fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(reads, (sizes) => {
        // Lines of exactly the bound (LF excluded), many of them: more than the bound in all.
        const ok = lineOf(limit + 1).repeat(5) + lineOf(10);
        expect(feed(ok, sizes)).toBe(ok.length);
        const stuffed = `..${'y'.repeat(limit - 2)}\r\n`.repeat(3);
        expect(feed(stuffed, sizes)).toBe(stuffed.length - 3);
        expect(() => feed(lineOf(10) + lineOf(limit + 401), sizes)).toThrow(
          expect.objectContaining({ code: 'POP3_RESPONSE_TOO_LARGE' }),
        );
      }),
      { numRuns: 2_000 },
    );
  });

  it('takes a + continuation only where AUTH expects one', () => {
    expect(parse(['auth'], [Buffer.from('+ eyJzdGF0dXMiOiI0MDEifQ==\r\n')]).map(view)).toEqual([
      { type: 'continue', text: 'eyJzdGF0dXMiOiI0MDEifQ==' },
    ]);
    expect(() => parse(['single'], [Buffer.from('+ \r\n')])).toThrow(
      expect.objectContaining({ code: 'POP3_PROTOCOL_ERROR' }),
    );
  });

  it('splits off RFC 2449 response codes', () => {
    const [parsed] = parse(['single'], [Buffer.from('-ERR [IN-USE] Mailbox locked\r\n')]);
    expect(parsed?.status).toEqual({ type: 'err', text: '[IN-USE] Mailbox locked', responseCode: 'IN-USE' });
  });

  it('holds bytes that arrive before a reply is expected, within the bound', () => {
    const parser = new Pop3ResponseParser({ endpoint, maxLineLength: 64 });
    parser.push(Buffer.from('+OK hello\r\n'));
    const seen: string[] = [];
    parser.expect({ kind: 'single', onStatus: (s) => seen.push(s.text) });
    expect(seen).toEqual(['hello']);
    expect(() => parser.push(Buffer.alloc(100, 0x41))).toThrow(
      expect.objectContaining({ code: 'POP3_PROTOCOL_ERROR' }),
    );
  });

  it('hands a body without dot lines on as one range of the chunk itself', () => {
    const parser = new Pop3ResponseParser({ endpoint });
    const chunk = Buffer.from('+OK\r\nline one\r\nline two\r\n.\r\n');
    const pieces: [Buffer, number, number][] = [];
    parser.expect({ kind: 'multi', onStatus: () => undefined, onBody: (b, s, e) => pieces.push([b, s, e]) });
    parser.push(chunk);
    expect(pieces).toEqual([[chunk, 5, 25]]);
    expect(pieces[0]?.[0]).toBe(chunk);
  });

  it('removes stuffed dots inside the chunk and hands the unstuffed lines on as one range', () => {
    const parser = new Pop3ResponseParser({ endpoint });
    const chunk = Buffer.from('+OK\r\n..a\r\nb\r\n..c\r\n.\r\n');
    const pieces: [Buffer, number, number][] = [];
    parser.expect({ kind: 'multi', onStatus: () => undefined, onBody: (b, s, e) => pieces.push([b, s, e]) });
    parser.push(chunk);
    expect(pieces).toHaveLength(1);
    const [buffer, start, end] = pieces[0] as [Buffer, number, number];
    expect(buffer).toBe(chunk);
    expect(buffer.toString('latin1', start, end)).toBe('.a\r\nb\r\n.c\r\n');
  });
});
