/**
 * What the mail servers share about their two listeners: starting both or neither, an implicit-TLS
 * listener whose unfinished handshakes can be ended, and closing without waiting on a socket.
 */
import { once } from 'node:events';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { type SecureContext, TLSSocket } from 'node:tls';
import type { RunningMailServer } from './contracts.js';

/** A server and the port it should listen on (0 = ephemeral). */
export type ListenRequest = readonly [server: Server, port: number];

async function listen(server: Server, port: number, host: string): Promise<number> {
  server.listen(port, host);
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** Resolves once `server` no longer listens and every connection it accepted has closed. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      // Never started, or already closed: close() would only report ERR_SERVER_NOT_RUNNING.
      resolve();
      return;
    }
    server.close(() => resolve());
  });
}

/**
 * Listens on every request in turn and returns the ports chosen. When one fails (a port in use),
 * the servers already listening are closed before the error is rethrown: a failed start leaves
 * nothing behind.
 */
export async function listenAll(requests: readonly ListenRequest[], host: string): Promise<number[]> {
  const ports: number[] = [];
  try {
    for (const [server, port] of requests) ports.push(await listen(server, port, host));
    return ports;
  } catch (error) {
    await Promise.all(requests.map(([server]) => closeServer(server)));
    throw error;
  }
}

/** Options of `implicitTlsServer`. */
export interface ImplicitTlsOptions {
  secureContext: SecureContext;
  /** A client must finish its handshake within this many ms, or it is dropped. Default 120000 (as `tls.Server`). */
  handshakeTimeoutMs?: number;
  /** Receives each connection once its handshake is done; from then on the session owns the socket. */
  onSecure: (socket: TLSSocket) => void;
}

/** An implicit-TLS listener whose unfinished handshakes close() can end (see `implicitTlsServer`). */
export interface ImplicitTlsServer {
  readonly server: Server;
  /** Ends every connection whose handshake has not finished yet. */
  destroyPending(): void;
}

/**
 * A TCP server that wraps each connection in a server-side TLSSocket itself, instead of
 * `tls.createServer`, so that unfinished handshakes can be ended from the top: `tls.Server` only
 * exposes the TCP socket under them, and tearing a TLS wrap down from below mid-handshake is
 * unsafe in Node (smtp-server's notes report crashes). A failed or abandoned handshake only ends
 * that client.
 */
export function implicitTlsServer(options: ImplicitTlsOptions): ImplicitTlsServer {
  const pending = new Set<TLSSocket>();
  const server = createServer((raw) => {
    raw.on('error', () => undefined);
    const socket = new TLSSocket(raw, { isServer: true, secureContext: options.secureContext });
    pending.add(socket);
    const onTimeout = () => socket.destroy();
    socket.setTimeout(options.handshakeTimeoutMs ?? 120_000, onTimeout);
    socket.on('error', () => socket.destroy());
    socket.once('close', () => pending.delete(socket));
    socket.once('secure', () => {
      pending.delete(socket);
      socket.setTimeout(0);
      socket.removeListener('timeout', onTimeout);
      options.onSecure(socket);
    });
  });
  return {
    server,
    destroyPending() {
      for (const socket of [...pending]) socket.destroy();
    },
  };
}

export interface MailListenersOptions {
  protocol: RunningMailServer['protocol'];
  host: string;
  /** Plain port (STARTTLS/STLS); 0 = ephemeral. */
  port: number;
  /** Implicit-TLS port; 0 = ephemeral. */
  tlsPort: number;
  secureContext: SecureContext;
  /** Starts a session on a connected socket (`secure` once TLS is up). */
  accept(socket: Socket, secure: boolean): void;
  /** The open sessions, each able to end itself; `close()` destroys them all. */
  sessions: ReadonlySet<{ destroy(): void }>;
}

/**
 * The plain and implicit-TLS listeners every sandbox mail server has, started together (a failed
 * start closes what listened) and closed together with every session and pending handshake.
 */
export async function startMailListeners(options: MailListenersOptions): Promise<RunningMailServer> {
  const plain = createServer((socket) => options.accept(socket, false));
  // A handshake that never completes has no session yet: `handshakes` ends it on close.
  const handshakes = implicitTlsServer({
    secureContext: options.secureContext,
    onSecure: (socket) => options.accept(socket, true),
  });
  const implicit = handshakes.server;
  for (const server of [plain, implicit]) server.on('error', () => undefined);
  const [port, tlsPort] = (await listenAll(
    [
      [plain, options.port],
      [implicit, options.tlsPort],
    ],
    options.host,
  )) as [number, number];
  return {
    protocol: options.protocol,
    host: options.host,
    port,
    tlsPort,
    connections: () => options.sessions.size,
    async close() {
      const closing = [closeServer(plain), closeServer(implicit)];
      for (const session of [...options.sessions]) session.destroy();
      handshakes.destroyPending();
      await Promise.all(closing);
    },
  };
}
