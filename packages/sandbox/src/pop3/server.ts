/** The sandbox's POP3 server: a plain port with STLS (Exchange's 110) and an implicit TLS port (995). */
import { once } from 'node:events';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { createSecureContext, createServer as createTlsServer } from 'node:tls';
import type { RunningMailServer } from '../contracts.js';
import { Pop3Connection } from './connection.js';
import { type Pop3ServerOptions, resolvePop3Behaviour } from './options.js';

async function listen(server: Server, port: number, host: string): Promise<number> {
  server.listen(port, host);
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * Starts the POP3 server on `options.port` (plain, STLS) and `options.tlsPort` (implicit TLS),
 * both ephemeral when not given. The maildrop of a session is the Inbox of the mailbox the
 * verifier's result names.
 */
export async function startPop3Server(options: Pop3ServerOptions): Promise<RunningMailServer> {
  const host = options.host ?? '127.0.0.1';
  const behaviour = resolvePop3Behaviour(options.behaviour);
  const secureContext = createSecureContext(options.tls);
  const connections = new Set<Pop3Connection>();
  const context = { store: options.store, auth: options.auth, behaviour, now: options.now ?? Date.now };

  const accept = (socket: Socket, secure: boolean): void => {
    const connection = new Pop3Connection(socket, { ...context, secureContext, secure }, () =>
      connections.delete(connection),
    );
    connections.add(connection);
  };

  const plain = createServer((socket) => accept(socket, false));
  const implicit = createTlsServer({ ...options.tls }, (socket) => accept(socket, true));
  // A failed handshake or a reset before it is that client's problem, never the server's.
  implicit.on('tlsClientError', (_error, socket) => socket.destroy());
  for (const server of [plain, implicit]) server.on('error', () => undefined);

  const port = await listen(plain, options.port ?? 0, host);
  const tlsPort = await listen(implicit, options.tlsPort ?? 0, host);

  return {
    protocol: 'pop3',
    host,
    port,
    tlsPort,
    connections: () => connections.size,
    async close() {
      const closing = [closeServer(plain), closeServer(implicit)];
      for (const connection of connections) connection.destroy();
      await Promise.all(closing);
    },
  };
}
