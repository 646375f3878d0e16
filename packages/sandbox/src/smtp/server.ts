/** The sandbox's SMTP submission server on smtp-server: STARTTLS port (Exchange's 587) and implicit TLS (465). */
import type { Socket } from 'node:net';
import { createSecureContext } from 'node:tls';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import type { RunningMailServer } from '../contracts.js';
import { closeServer, implicitTlsServer, listenAll } from '../listeners.js';
import { createSmtpHandlers } from './handlers.js';
import { registerOAuthBearer } from './oauthbearer.js';
import { resolveSmtpBehaviour, type SmtpServerOptions } from './options.js';
import { SMTP_REPLIES as R } from './replies.js';
import { SenderLimits } from './sender-limits.js';

/** The parts of smtp-server's (untyped-internal) SMTPConnection that shutdown needs. */
interface ClosableConnection {
  /** The session's socket: the TLS socket once a handshake finished, else the TCP socket. */
  readonly _socket: Socket;
  /** True while a STARTTLS handshake runs on top of `_socket`. */
  readonly _upgrading: boolean;
  close(): void;
}

/**
 * Ends every session of `server` at once. A session's socket is destroyed unless a STARTTLS
 * handshake runs on top of it: that TLS socket is out of reach, and smtp-server's close() ends
 * and, after a grace period, destroys the connection itself.
 */
function endSessions(server: SMTPServer): void {
  for (const connection of server.connections as unknown as Set<ClosableConnection>) {
    connection.close();
    if (!connection._upgrading) connection._socket.destroy();
  }
}

/** Stops the plain listener and ends its sessions. */
function closeListening(server: SMTPServer): Promise<void> {
  return new Promise((resolve) => {
    if (!server.server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
    endSessions(server);
  });
}

/**
 * Starts the SMTP server on `options.port` (plain, STARTTLS required before AUTH) and
 * `options.tlsPort` (implicit TLS), both ephemeral when not given.
 */
export async function startSmtpServer(options: SmtpServerOptions): Promise<RunningMailServer> {
  const host = options.host ?? '127.0.0.1';
  const behaviour = resolveSmtpBehaviour(options.behaviour);
  const now = options.now ?? Date.now;
  const limits = new SenderLimits(behaviour.maxConnectionsPerMailbox, behaviour.submissionQuota, now);
  if (behaviour.oauthBearer) registerOAuthBearer();

  const common: SMTPServerOptions = {
    ...options.tls,
    ...createSmtpHandlers({ store: options.store, auth: options.auth, behaviour, limits, now }),
    name: 'localhost',
    banner: R.banner,
    authMethods: behaviour.oauthBearer ? ['XOAUTH2', 'OAUTHBEARER'] : ['XOAUTH2'],
    authRequiredMessage: R.notAuthenticated,
    size: behaviour.maxMessageSize,
    hideENHANCEDSTATUSCODES: true,
    hideREQUIRETLS: true,
    disableReverseLookup: true,
    logger: false,
    closeTimeout: 1_000,
  };
  const plain = new SMTPServer({ ...common, secure: false });
  // smtp-server's own implicit-TLS handshake code touches a TLS socket after it closed when a
  // client leaves mid-handshake (normalizeTLSError → getProtocol() on freed TLS state: SIGSEGV on
  // Node 20) and listens for only one 'error' on it. So the handshake is ours, and smtp-server gets
  // the finished TLS socket as an already secured connection (its internal listener stays unused).
  const implicit = new SMTPServer({ ...common, secure: true, secured: true });
  const handshakes = implicitTlsServer({
    secureContext: createSecureContext(options.tls),
    onSecure: (socket) => implicit.connect(socket),
  });
  // smtp-server emits TLS failures and socket errors of its sessions here; unhandled, they end the process.
  for (const server of [plain, implicit]) server.on('error', () => undefined);
  plain.server.on('connection', (socket: Socket) => socket.on('error', () => undefined));
  handshakes.server.on('error', () => undefined);

  const [port, tlsPort] = (await listenAll(
    [
      [plain.server, options.port ?? 0],
      [handshakes.server, options.tlsPort ?? 0],
    ],
    host,
  )) as [number, number];

  return {
    protocol: 'smtp',
    host,
    port,
    tlsPort,
    connections: () => plain.connections.size + implicit.connections.size,
    async close() {
      const closing = [closeListening(plain), closeServer(handshakes.server)];
      handshakes.destroyPending();
      endSessions(implicit);
      await Promise.all(closing);
    },
  };
}
