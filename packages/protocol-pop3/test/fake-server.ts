/** A scripted POP3 server on loopback for the failure cases the sandbox never produces. */
import { once } from 'node:events';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { connectPop3, type Pop3Client, type Pop3ConnectOptions } from '../src/index.js';

/** One client connection as the script sees it. */
export interface FakeConnection {
  socket: Socket;
  /** Every line received so far (without CRLF). */
  lines: string[];
  /** Every `data` chunk received, as text. */
  chunks: string[];
  send(text: string): void;
}

export interface FakeServerOptions {
  /** Sent on accept; `undefined` sends nothing (a stalled server). */
  greeting?: string;
  /** Called per line received. */
  onLine?(line: string, connection: FakeConnection): void;
  /** Called on accept, after the greeting (if any). */
  onConnect?(connection: FakeConnection): void;
  /** Serve TLS from the first byte with this key and certificate. */
  tls?: { key: string; cert: string };
}

export interface FakeServer {
  port: number;
  connections: FakeConnection[];
  close(): Promise<void>;
}

export async function startFakeServer(options: FakeServerOptions): Promise<FakeServer> {
  const connections: FakeConnection[] = [];
  const sockets = new Set<Socket>();
  const accept = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const connection: FakeConnection = {
      socket,
      lines: [],
      chunks: [],
      send: (text) => {
        if (!socket.destroyed) socket.write(text);
      },
    };
    connections.push(connection);
    let pending = '';
    socket.on('data', (chunk: Buffer) => {
      const text = chunk.toString('latin1');
      connection.chunks.push(text);
      pending += text;
      let end = pending.indexOf('\r\n');
      while (end >= 0) {
        const line = pending.slice(0, end);
        pending = pending.slice(end + 2);
        connection.lines.push(line);
        options.onLine?.(line, connection);
        end = pending.indexOf('\r\n');
      }
    });
    if (options.greeting !== undefined) connection.send(options.greeting);
    options.onConnect?.(connection);
  };
  const server: Server = options.tls ? createTlsServer(options.tls, accept) : createServer(accept);
  server.on('error', () => undefined);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A CAPA reply body listing `capabilities`. */
export function capaReply(...capabilities: string[]): string {
  return `+OK\r\n${capabilities.map((c) => `${c}\r\n`).join('')}.\r\n`;
}

/** The servers and clients of one test file, all closed by `cleanup()` (call it in `afterEach`). */
export interface FakeHarness {
  serve(options: FakeServerOptions): Promise<FakeServer>;
  connect(options: Pop3ConnectOptions): Promise<Pop3Client>;
  cleanup(): Promise<void>;
}

export function fakeServerHarness(): FakeHarness {
  const servers: FakeServer[] = [];
  const clients: Pop3Client[] = [];
  return {
    async serve(options) {
      const server = await startFakeServer(options);
      servers.push(server);
      return server;
    },
    async connect(options) {
      const client = await connectPop3(options);
      clients.push(client);
      return client;
    },
    async cleanup() {
      for (const client of clients.splice(0)) await client.close();
      for (const server of servers.splice(0)) await server.close();
    },
  };
}

/** Plain POP3 to a fake server, insecure auth allowed: tests on plain connections send no real token. */
export function plainOptions(
  server: FakeServer,
  extra: Partial<Pop3ConnectOptions> = {},
): Pop3ConnectOptions {
  return { host: '127.0.0.1', port: server.port, secure: false, allowInsecureAuth: true, ...extra };
}
