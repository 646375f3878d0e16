import type { Socket } from 'node:net';

/** What {@link flood} wrote. */
export interface Flooded {
  /** Bytes of filler written to the socket (the kernel may not have delivered them all). */
  bytes: number;
  /** The client hung up before `total` bytes of filler went out. */
  stoppedByClient: boolean;
}

/** Options of {@link flood}. Strings are written as latin1. */
export interface FloodOptions {
  /** Written once before the filler (not counted in `total`). */
  head?: string | Buffer;
  /** Written after the filler if the client is still there (a reply's terminator, say). */
  end?: string | Buffer;
}

/**
 * A hostile server's endless reply: writes `filler` again and again, as fast as the client reads
 * (waiting for `drain`, so the server itself holds little), until `total` bytes went out or the
 * client hung up. A client that buffers without bound takes all of it; a bounded one hangs up early.
 */
export async function flood(
  socket: Socket,
  filler: string | Buffer,
  total: number,
  options: FloodOptions = {},
): Promise<Flooded> {
  const bytesOf = (data: string | Buffer) => (typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  const chunk = bytesOf(filler);
  const gone = () => socket.destroyed || !socket.writable;
  if (options.head !== undefined && !gone() && !socket.write(bytesOf(options.head))) {
    await drainOrClose(socket);
  }
  let bytes = 0;
  while (bytes < total && !gone()) {
    bytes += chunk.length;
    if (!socket.write(chunk)) await drainOrClose(socket);
  }
  if (options.end !== undefined && !gone()) socket.write(bytesOf(options.end));
  return { bytes, stoppedByClient: bytes < total };
}

/** Resolves on the next `drain`, or when the socket closes (the client went away). */
function drainOrClose(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) {
      resolve();
      return;
    }
    const done = () => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}
