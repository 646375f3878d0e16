/** A TCP front that resets the first N connections (RST, before a byte) and relays the rest to `target`. */
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';

export interface Front {
  port: number;
  connections: number;
  close(): Promise<void>;
}

/** Resets connections 1..`resets`; with `afterGreeting`, the rest get the greeting, then a reset. */
export async function resettingFront(target: number, resets: number, afterGreeting = false): Promise<Front> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    front.connections += 1;
    sockets.add(client);
    client.on('error', () => {});
    client.once('close', () => sockets.delete(client));
    if (front.connections <= resets) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(target, '127.0.0.1');
    upstream.on('error', () => client.destroy());
    if (afterGreeting) {
      // Pass the server's first bytes (on a plain port: the greeting), reset at the client's answer.
      upstream.once('data', (first) => {
        client.write(first);
        client.once('data', () => client.resetAndDestroy());
      });
      client.on('data', (chunk) => upstream.write(chunk));
      return;
    }
    client.pipe(upstream).pipe(client);
    upstream.once('close', () => client.destroy());
  });
  const front: Front = {
    port: 0,
    connections: 0,
    async close() {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  front.port = (server.address() as { port: number }).port;
  return front;
}
