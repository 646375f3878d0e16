/** The sandbox's SMTP submission server on smtp-server: STARTTLS port (Exchange's 587) and implicit TLS (465). */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import type { RunningMailServer } from '../contracts.js';
import { createSmtpHandlers } from './handlers.js';
import { registerOAuthBearer } from './oauthbearer.js';
import { resolveSmtpBehaviour, type SmtpServerOptions } from './options.js';
import { SMTP_REPLIES as R } from './replies.js';
import { SenderLimits } from './sender-limits.js';

async function listen(server: SMTPServer, port: number, host: string): Promise<number> {
  const listener = server.listen(port, host);
  await once(listener, 'listening');
  return (listener.address() as AddressInfo).port;
}

function close(server: SMTPServer): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // Sessions still open get smtp-server's 421 after closeTimeout; do not keep them waiting.
    for (const connection of server.connections) connection.close();
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
  const implicit = new SMTPServer({ ...common, secure: true });
  // smtp-server emits TLS handshake failures and socket errors here; unhandled, they end the process.
  for (const server of [plain, implicit]) server.on('error', () => undefined);

  const port = await listen(plain, options.port ?? 0, host);
  const tlsPort = await listen(implicit, options.tlsPort ?? 0, host);

  return {
    protocol: 'smtp',
    host,
    port,
    tlsPort,
    connections: () => plain.connections.size + implicit.connections.size,
    async close() {
      await Promise.all([close(plain), close(implicit)]);
    },
  };
}
