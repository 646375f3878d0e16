import { createServer } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';

/** A minimal HTTP CONNECT proxy on 127.0.0.1 that records every tunnel it is asked for. */
export interface ConnectProxy {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly port: number;
  /** `host:port` of every CONNECT, in order. */
  readonly connects: readonly string[];
  /** The request line and headers of every CONNECT, as received (to check Proxy-Authorization). */
  readonly requests: readonly string[];
  close(): Promise<void>;
}

/** Tunnels every CONNECT, or answers each with the status `refuseWith` (e.g. 407) when given. */
export async function startConnectProxy(options: { refuseWith?: number } = {}): Promise<ConnectProxy> {
  const connects: string[] = [];
  const requests: string[] = [];
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
    client.on('error', () => client.destroy());
    const headers = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2)
      headers.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
    requests.push([`CONNECT ${req.url} HTTP/${req.httpVersion}`, ...headers].join('\r\n'));
    if (options.refuseWith !== undefined) {
      client.end(`HTTP/1.1 ${options.refuseWith} Refused\r\n\r\n`);
      return;
    }
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
    client.once('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    connects,
    requests,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
