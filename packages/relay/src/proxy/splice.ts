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

/** Bytes from `from` to `to`, pausing `from` while `to` is full; `from`'s end ends `to`. */
function forward(from: Socket, to: Socket): void {
  from.on('data', (chunk: Buffer) => {
    if (!to.destroyed && !to.write(chunk)) from.pause();
  });
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
