/**
 * After login the relay only carries bytes: client → server and server → client, untouched, with
 * each side's backpressure pausing the other (`pipe`). When one side ends or fails, the other is
 * ended too.
 */
import type { Socket } from 'node:net';

/** Joins the two sockets; `onClosed` runs once, when both are closed. */
export function splice(
  client: Socket,
  upstream: Socket,
  onClosed: (why: { clientError?: Error; upstreamError?: Error }) => void,
): void {
  let open = 2;
  const why: { clientError?: Error; upstreamError?: Error } = {};
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
  // A close without an error (FIN, or the other side destroyed) still ends its partner.
  client.once('close', () => {
    upstream.end();
    closed();
  });
  upstream.once('close', () => {
    client.end();
    closed();
  });
  client.pipe(upstream);
  upstream.pipe(client);
}
