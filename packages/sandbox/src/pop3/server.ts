/** The sandbox's POP3 server: a plain port with STLS (Exchange's 110) and an implicit TLS port (995). */
import type { Socket } from 'node:net';
import { createSecureContext } from 'node:tls';
import type { RunningMailServer } from '../contracts.js';
import { startMailListeners } from '../listeners.js';
import { Pop3Connection } from './connection.js';
import { type Pop3ServerOptions, resolvePop3Behaviour } from './options.js';

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

  return startMailListeners({
    protocol: 'pop3',
    host,
    port: options.port ?? 0,
    tlsPort: options.tlsPort ?? 0,
    secureContext,
    accept,
    sessions: connections,
  });
}
