/**
 * After login the relay only carries bytes: client → server and server → client, untouched. A
 * side whose reader cannot keep up pauses the other (backpressure), an end is passed on, and when
 * one side fails or closes the other is ended too. Written out instead of `pipe()`: two listeners
 * per direction keep an idle connection small (pipe() holds about ten closures per direction).
 */
import type { Socket } from 'node:net';

/** Why a spliced pair ended, for the log. */
export interface SpliceEnd {
  clientError?: Error;
  upstreamError?: Error;
}

/**
 * How much may wait in `to` before `from` is paused. Above a socket's 16 KiB high-water mark, so
 * that the TLS records that arrive together (16 KiB each) can leave in one write.
 */
export const SPLICE_BUFFER_BYTES = 128 * 1024;

/**
 * Bytes from `from` to `to`, pausing `from` while `to` holds more than {@link SPLICE_BUFFER_BYTES};
 * `from`'s end ends `to`. The first chunk of an event-loop turn is written at once (a short reply
 * such as a NOOP's waits for nothing); the chunks that follow in the same turn — a TLS socket emits
 * one per record — are corked and leave together in one writev when the turn's I/O is done.
 */
function forward(from: Socket, to: Socket): void {
  let corked = false;
  const uncork = () => {
    corked = false;
    to.uncork();
  };
  from.on('data', (chunk: Buffer) => {
    if (to.destroyed) return;
    to.write(chunk);
    if (!corked) {
      corked = true;
      to.cork();
      setImmediate(uncork);
    }
    if (to.writableLength > SPLICE_BUFFER_BYTES) from.pause();
  });
  // 'drain' follows any write that found the buffer above the high-water mark, once it is empty.
  to.on('drain', () => from.resume());
  from.once('end', () => to.end());
}

/** Joins the two sockets and starts them flowing; `onClosed` runs once, when both are closed. */
export function splice(client: Socket, upstream: Socket, onClosed: (why: SpliceEnd) => void): void {
  let open = 2;
  const why: SpliceEnd = {};
  const closed = () => {
    open -= 1;
    if (open === 0) onClosed(why);
  };
  client.on('error', (error) => {
    why.clientError ??= error;
    upstream.destroy();
  });
  upstream.on('error', (error) => {
    why.upstreamError ??= error;
    client.destroy();
  });
  // A close without an error (the other side destroyed, a reset) still ends its partner.
  client.once('close', () => {
    upstream.end();
    closed();
  });
  upstream.once('close', () => {
    client.end();
    closed();
  });
  forward(client, upstream);
  forward(upstream, client);
  // Both arrive paused (the login held them); a 'data' listener alone does not start a paused stream.
  client.resume();
  upstream.resume();
}
