import { describe, expect, it } from 'vitest';
import { Pop3ReplyError, type Pop3StatusLine } from './errors.js';
import { HeldReply, type PendingReply, type ReplyChannel, retrievePipelined } from './multi-line-reader.js';
import { Pop3ResponseParser } from './response-parser.js';
import type { Pop3Message } from './types.js';

const endpoint = { protocol: 'pop3s', host: '127.0.0.1', port: 995 };
const overflow = () => new Error('too large');

/** Bodies (each ends in CRLF, as mail does) with stuffing at every kind of edge: all dots, lone dot lines, `.\r` not before LF, nothing. */
const BODIES = [
  '.\r\n..\r\n...\r\n....\r\n',
  'a\r\n.\r\n.b\r\n..\r\nc\r\n',
  '',
  '.\r\r\n',
  'x\r\n.\r\r\n.\n.\r\n',
].map((text) => Buffer.from(text, 'latin1'));

/** A server's replies to `RETR 1..n`: `+OK`, the body with every line-leading dot doubled, `.`. */
function wire(bodies: readonly Buffer[]): Buffer {
  const parts = bodies.map((body) => {
    const stuffed = body.toString('latin1').replace(/(^|\n)\./g, '$1..');
    return `+OK ${body.length} octets\r\n${stuffed}.\r\n`;
  });
  return Buffer.from(parts.join(''), 'latin1');
}

/** A channel whose server answers each written batch with `replies`, cut into `chunks`. */
function channelFor(
  chunksOf: (batch: number) => Buffer[],
  state: { failure?: Error; idleCalls: number; writes: string[] } = { idleCalls: 0, writes: [] },
) {
  const parser = new Pop3ResponseParser<PendingReply>({ endpoint });
  const holds: Promise<void>[] = [];
  const channel: ReplyChannel = {
    expect: (reply) => parser.expect(reply),
    failure: () => state.failure,
    write: (lines) => {
      state.writes.push(lines);
      // The parser rewrites chunks in place, so each gets its own copy, as from a socket.
      for (const chunk of chunksOf(state.writes.length - 1)) parser.push(Buffer.from(chunk));
    },
    idle: async () => {
      state.idleCalls++;
    },
    holdLockStep: (replies) => void holds.push(replies),
    messageReply: () => new HeldReply('RETR', endpoint, 1 << 20, overflow),
  };
  return { channel, parser, state, holds };
}

async function collect(messages: AsyncIterable<Pop3Message>): Promise<Pop3Message[]> {
  const all: Pop3Message[] = [];
  for await (const message of messages) all.push(message);
  return all;
}

describe('retrievePipelined', () => {
  const numbers = BODIES.map((_, i) => i + 1);

  it('is byte-exact with the stream cut in two at every position', async () => {
    const stream = wire(BODIES);
    for (let cut = 0; cut <= stream.length; cut++) {
      const chunks = [stream.subarray(0, cut), stream.subarray(cut)].filter((c) => c.length > 0);
      const { channel } = channelFor(() => chunks);
      const messages = await collect(retrievePipelined(channel, numbers, 32));
      expect(
        messages.map((m) => m.number),
        `cut at ${cut}`,
      ).toEqual(numbers);
      expect(
        messages.map((m) => m.data.toString('latin1')),
        `cut at ${cut}`,
      ).toEqual(BODIES.map((b) => b.toString('latin1')));
    }
  });

  it('is byte-exact with the stream cut in three at every pair of positions, and byte by byte', async () => {
    const stream = wire(BODIES.slice(0, 2));
    const expected = BODIES.slice(0, 2).map((b) => b.toString('latin1'));
    const cuts: number[][] = [[...stream.keys()].slice(1)];
    for (let a = 1; a < stream.length; a++) for (let b = a + 1; b < stream.length; b++) cuts.push([a, b]);
    for (const points of cuts) {
      const edges = [0, ...points, stream.length];
      const chunks = edges.slice(1).map((end, i) => stream.subarray(edges[i], end));
      const { channel } = channelFor(() => chunks);
      const messages = await collect(retrievePipelined(channel, [1, 2], 32));
      expect(
        messages.map((m) => m.data.toString('latin1')),
        `cuts ${points.join(',')}`,
      ).toEqual(expected);
    }
  });

  it('writes a batch when half the window is free and holds later lock-step commands until it settles', async () => {
    const many = Array.from({ length: 10 }, (_, i) => Buffer.from(`.${i}\r\n`, 'latin1'));
    const { channel, state, holds } = channelFor((batch) => {
      const sizes = [4, 2, 2, 2];
      const start = sizes.slice(0, batch).reduce((n, s) => n + s, 0);
      return [wire(many.slice(start, start + (sizes[batch] as number)))];
    });
    const messages = await collect(
      retrievePipelined(
        channel,
        many.map((_, i) => i + 1),
        4,
      ),
    );
    expect(messages.map((m) => m.data)).toEqual(many);
    expect(state.writes).toEqual([
      'RETR 1\r\nRETR 2\r\nRETR 3\r\nRETR 4\r\n',
      'RETR 5\r\nRETR 6\r\n',
      'RETR 7\r\nRETR 8\r\n',
      'RETR 9\r\nRETR 10\r\n',
    ]);
    expect(holds).toHaveLength(4);
    expect(state.idleCalls).toBe(0);
  });

  it('waits for every earlier reply before each RETR with a window of 1', async () => {
    const { channel, state } = channelFor((batch) => [wire([BODIES[batch] as Buffer])]);
    const messages = await collect(retrievePipelined(channel, [1, 2, 3], 1));
    expect(messages).toHaveLength(3);
    expect(state.idleCalls).toBe(3);
    expect(state.writes).toEqual(['RETR 1\r\n', 'RETR 2\r\n', 'RETR 3\r\n']);
  });

  it('yields the messages before a -ERR, then throws a Pop3ReplyError naming RETR', async () => {
    const refused = Buffer.from('-ERR [SYS/TEMP] no such message\r\n', 'latin1');
    const stream = Buffer.concat([wire([BODIES[0] as Buffer]), refused, wire([BODIES[1] as Buffer])]);
    const { channel } = channelFor(() => [stream]);
    const seen: number[] = [];
    const error = await (async () => {
      for await (const message of retrievePipelined(channel, [1, 2, 3], 32)) seen.push(message.number);
    })().catch((e: unknown) => e);
    expect(seen).toEqual([1]);
    expect(error).toBeInstanceOf(Pop3ReplyError);
    expect(error).toMatchObject({ command: 'RETR', responseCode: 'SYS/TEMP' });
  });

  it('rejects the waiting consumer with the connection failure', async () => {
    const failure = new Error('connection reset');
    const { channel, parser } = channelFor(() => [wire([BODIES[1] as Buffer]).subarray(0, 10)]);
    const messages = retrievePipelined(channel, [1, 2], 32);
    const next = messages.next();
    await Promise.resolve();
    for (const pending of parser.drain()) pending.onError(failure);
    await expect(next).rejects.toBe(failure);
  });

  it('writes nothing on a connection that has already failed', async () => {
    const state = { failure: new Error('closed'), idleCalls: 0, writes: [] as string[] };
    const { channel } = channelFor(() => [], state);
    await expect(retrievePipelined(channel, [1], 32).next()).rejects.toBe(state.failure);
    expect(state.writes).toEqual([]);
  });
});

describe('HeldReply', () => {
  it('settles once and wakes every waiter', async () => {
    const reply = new HeldReply('TOP', endpoint, 100, overflow);
    const waits = [reply.whenSettled(), reply.whenSettled()];
    reply.onStatus({ type: 'ok', text: '3 octets' } satisfies Pop3StatusLine);
    reply.onBody(Buffer.from('abc'), 0, 3);
    expect(reply.settled).toBe(false);
    reply.onEnd();
    await Promise.all(waits);
    expect(reply.settled).toBe(true);
    expect(reply.result().toString()).toBe('abc');
  });
});
