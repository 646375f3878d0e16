import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SPLICE_BUFFER_BYTES, splice } from './splice.js';

/** Two connected loopback sockets: `near` is ours, `far` the peer's end. */
async function socketPair(): Promise<{ near: Socket; far: Socket; server: Server }> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address() as { port: number };
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const near = connect(address.port, '127.0.0.1');
  await once(near, 'connect');
  const [far] = await accepted;
  return { near, far, server };
}

/** Counts the writes that reach `socket`'s handle: each `_write` and each `_writev` is one. */
function countWrites(socket: Socket): { single: number; batched: number } {
  const counts = { single: 0, batched: 0 };
  const target = socket as unknown as {
    _write: (...args: unknown[]) => void;
    _writev: (...args: unknown[]) => void;
  };
  const write = target._write.bind(socket);
  const writev = target._writev.bind(socket);
  target._write = (...args) => {
    counts.single++;
    write(...args);
  };
  target._writev = (...args) => {
    counts.batched++;
    writev(...args);
  };
  return counts;
}

const open: Socket[] = [];
const servers: Server[] = [];
afterEach(() => {
  for (const socket of open.splice(0)) socket.destroy();
  for (const server of servers.splice(0)) server.close();
});

/** client ⇄ (relay: clientSide, upstreamSide) ⇄ upstream, spliced in the middle. */
async function splicedPair() {
  const a = await socketPair();
  const b = await socketPair();
  open.push(a.near, a.far, b.near, b.far);
  servers.push(a.server, b.server);
  const client = a.near;
  const clientSide = a.far;
  const upstreamSide = b.near;
  const upstream = b.far;
  clientSide.pause();
  upstreamSide.pause();
  splice(clientSide, upstreamSide, () => {});
  return { client, clientSide, upstreamSide, upstream };
}

/** Reads from `socket` until `bytes` have arrived. */
async function receive(socket: Socket, bytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  while (length < bytes) {
    const [chunk] = (await once(socket, 'data')) as [Buffer];
    chunks.push(chunk);
    length += chunk.length;
  }
  return Buffer.concat(chunks);
}

describe('splice', () => {
  it('writes the first chunk of a turn at once, before the data handler returns', async () => {
    const { clientSide, upstreamSide, client } = await splicedPair();
    const writes = countWrites(clientSide);
    upstreamSide.emit('data', Buffer.from('* OK NOOP completed\r\n'));
    // Synchronously: the reply is already handed to the socket, nothing waits for a later turn.
    expect(writes).toEqual({ single: 1, batched: 0 });
    expect((await receive(client, 21)).toString()).toBe('* OK NOOP completed\r\n');
  });

  it('sends the chunks that arrive in one turn (one per TLS record) in one writev, bytes in order', async () => {
    const { clientSide, upstreamSide, client } = await splicedPair();
    const writes = countWrites(clientSide);
    const chunks = Array.from({ length: 6 }, (_, i) => Buffer.alloc(16_384, 0x61 + i));
    for (const chunk of chunks) upstreamSide.emit('data', chunk);
    const received = await receive(client, 6 * 16_384);
    expect(received.equals(Buffer.concat(chunks))).toBe(true);
    // Without batching: six writes. With it: the first at once, the other five together.
    expect(writes).toEqual({ single: 1, batched: 1 });
  });

  it('pauses the sending side once more than the bound waits, and resumes it when drained', async () => {
    const { clientSide, upstreamSide, client } = await splicedPair();
    client.pause(); // the client stops reading: the relay's socket to it fills up
    const chunk = Buffer.alloc(16_384, 0x62);
    let sent = 0;
    while (!upstreamSide.isPaused() && sent < 10_000) {
      upstreamSide.emit('data', chunk);
      sent++;
    }
    expect(upstreamSide.isPaused()).toBe(true);
    expect(clientSide.writableLength).toBeLessThanOrEqual(SPLICE_BUFFER_BYTES + chunk.length);
    client.resume();
    // Everything arrives only once the relay's buffer is flushed, which resumes the sender.
    await receive(client, sent * chunk.length);
    expect(upstreamSide.isPaused()).toBe(false);
  });
});
