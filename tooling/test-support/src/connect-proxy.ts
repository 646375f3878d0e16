import { createServer } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';

/** A minimal HTTP CONNECT proxy on 127.0.0.1 that records every tunnel it opens. */
export interface ConnectProxy {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** `host:port` of every CONNECT, in order. */
  readonly connects: readonly string[];
  close(): Promise<void>;
}

export async function startConnectProxy(): Promise<ConnectProxy> {
  const connects: string[] = [];
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const server = createServer((_req, res) => {
    res.writeHead(405, { connection: 'close' });
    res.end();
  });
  server.on('connect', (req, client: Socket, head: Buffer) => {
    track(client);
    const target = new URL(`http://${req.url ?? ''}`);
    connects.push(target.host);
    const upstream = connect(Number(target.port), target.hostname, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    track(upstream);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connects,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
