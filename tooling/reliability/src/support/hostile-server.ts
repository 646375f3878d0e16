/**
 * A scripted hostile server on a free 127.0.0.1 port (plain TCP or TLS): it greets, answers lines,
 * floods (as fast as the client reads: its own memory stays flat), dribbles (slow-loris) or cuts.
 */
import { once } from 'node:events';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { flood } from '@kalisto/test-support';
import type { ScenarioContext } from '../scenario.js';

export interface HostileConnection {
  readonly socket: Socket;
  send(data: string | Buffer): void;
  /** Writes `head`, then `chunk` over and over, as fast as the client reads, until it goes away. */
  flood(chunk: Buffer, head?: string): void;
  /** Writes `text` one byte every `intervalMs` until it is sent or the client goes away. */
  dribble(text: string, intervalMs: number): Promise<void>;
  /** Drops the connection at once (RST when possible). */
  cut(): void;
}

export interface HostileServerOptions {
  /** Serve TLS from the first byte with this key and certificate. */
  tls?: { key: string; cert: string };
  /** Called on accept (after the TLS handshake). */
  onConnect?(connection: HostileConnection): void;
  /** Called for each line the client sends (without CR LF). */
  onLine?(line: string, connection: HostileConnection): void;
}

export interface HostileServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** Connections accepted so far. */
  connections(): number;
  /** Bytes written to clients so far. */
  bytesSent(): number;
  close(): Promise<void>;
}

/** Starts the server; it is closed (every connection dropped) when the scenario ends. */
export async function startHostileServer(
  context: ScenarioContext,
  options: HostileServerOptions,
): Promise<HostileServer> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  let sent = 0;
  const accept = (socket: Socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const connection: HostileConnection = {
      socket,
      send(data) {
        if (socket.destroyed) return;
        sent += data.length;
        socket.write(data);
      },
      flood(chunk, head = '') {
        sent += head.length;
        void flood(socket, chunk, Number.POSITIVE_INFINITY, { head }).then((done) => {
          sent += done.bytes;
        });
      },
      async dribble(text, intervalMs) {
        for (const char of text) {
          if (socket.destroyed) return;
          connection.send(char);
          await new Promise((resolve) => setTimeout(resolve, intervalMs));
        }
      },
      cut() {
        try {
          socket.resetAndDestroy();
        } catch {
          socket.destroy();
        }
      },
    };
    let pending = '';
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n')) {
        const line = pending.slice(0, end).replace(/\r$/, '');
        pending = pending.slice(end + 1);
        options.onLine?.(line, connection);
      }
    });
    options.onConnect?.(connection);
  };
  const server: Server = options.tls
    ? createTlsServer(options.tls, accept).on('tlsClientError', () => undefined)
    : createServer(accept);
  server.on('error', () => undefined);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  context.defer(close);
  return {
    host: '127.0.0.1',
    port: (server.address() as AddressInfo).port,
    connections: () => accepted,
    bytesSent: () => sent,
    close,
  };
}

/** A chunk of `size` bytes of `fill` (reused: the flood allocates nothing per write). */
export function filler(size: number, fill = 'A'): Buffer {
  return Buffer.alloc(size, fill);
}
