/** A minimal HTTP CONNECT proxy on loopback that records what it was asked. */
import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';

export interface ConnectProxy {
  port: number;
  /** The request header of every CONNECT received. */
  requests: string[];
  close(): Promise<void>;
}

/** Tunnels every CONNECT, or answers each with `refuseWith` (e.g. 407) when given. */
export async function startConnectProxy(options: { refuseWith?: number } = {}): Promise<ConnectProxy> {
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const server = createServer((client) => {
    track(client);
    let header = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      header = Buffer.concat([header, chunk]);
      const end = header.indexOf('\r\n\r\n');
      if (end < 0) return;
      client.off('data', onData);
      const text = header.toString('latin1', 0, end);
      requests.push(text);
      if (options.refuseWith !== undefined) {
        client.end(`HTTP/1.1 ${options.refuseWith} Refused\r\n\r\n`);
        return;
      }
      const [, authority = ''] = /^CONNECT (\S+) HTTP/.exec(text) ?? [];
      const colon = authority.lastIndexOf(':');
      const upstream = connect(Number(authority.slice(colon + 1)), authority.slice(0, colon));
      track(upstream);
      upstream.once('connect', () => {
        client.write('HTTP/1.1 200 Connection established\r\n\r\n');
        const rest = header.subarray(end + 4);
        if (rest.length > 0) upstream.write(rest);
        client.pipe(upstream).pipe(client);
      });
      upstream.once('close', () => client.destroy());
      client.once('close', () => upstream.destroy());
    };
    client.on('data', onData);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
