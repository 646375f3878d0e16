/**
 * A TCP forwarder that holds every chunk for a fixed time in each direction: the sandbox as far away
 * as a real mail server is (Exchange Online is some milliseconds to tens of milliseconds off).
 * Bytes pass untouched, TLS included, in order.
 */
import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';

export interface DelayForwarder {
  readonly port: number;
  close(): Promise<void>;
}

/** Forwards 127.0.0.1:<port> to `target`, each chunk delayed by `delayMs` each way. */
export async function startDelayForwarder(
  target: { host: string; port: number },
  delayMs: number,
): Promise<DelayForwarder> {
  const sockets = new Set<Socket>();
  const delayed = (from: Socket, to: Socket) => {
    from.on('data', (chunk: Buffer) => {
      setTimeout(() => {
        if (!to.destroyed) to.write(chunk);
      }, delayMs);
    });
    from.once('end', () => setTimeout(() => to.end(), delayMs));
  };
  const server = createServer((client) => {
    client.setNoDelay(true);
    const upstream = connect(target.port, target.host);
    upstream.setNoDelay(true);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
      socket.once('close', () => sockets.delete(socket));
    }
    delayed(client, upstream);
    delayed(upstream, client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
