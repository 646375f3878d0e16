/** The sandbox IMAP server: a plain port (STARTTLS) and an implicit-TLS port sharing one TLS context. */
import type { Socket } from 'node:net';
import { createSecureContext } from 'node:tls';
import type { MailServerOptions, RunningMailServer } from '../contracts.js';
import { startMailListeners } from '../listeners.js';
import { type ImapServerContext, ImapSession, type ResolvedImapBehaviour } from './session.js';

/** Exchange Online's IMAP quirks and limits, each switchable for tests. */
export interface ImapBehaviour {
  /** Advertise and accept AUTH=OAUTHBEARER too (Exchange does not; curl always uses it). Default false. */
  oauthBearer?: boolean;
  /** Send `* BYE Session invalidated - AccessTokenExpired` and close when the token expires. Default true. */
  byeOnTokenExpiry?: boolean;
  /** Refuse every Nth command after login with `BAD Request is throttled. Suggested Backoff Time: N milliseconds`. */
  throttle?: { everyNthCommand?: number; backoffMs: number };
  /** Largest literal (e.g. an APPENDed message) accepted; larger ones get `BAD [TOOBIG]`. Default 35 MB. */
  maxLiteralBytes?: number;
  /** Inactivity after which the server says BYE and closes. Default 30 minutes. */
  idleTimeoutMs?: number;
  /** Longest command line; a longer one gets `* BYE` and the connection closes. Default 64 KiB. */
  maxLineBytes?: number;
  /** Clock used to schedule the token-expiry BYE (epoch ms). Default `Date.now`. */
  now?: () => number;
}

export interface ImapServerOptions extends Omit<MailServerOptions, 'behaviour'> {
  behaviour?: ImapBehaviour;
}

const DEFAULTS = {
  oauthBearer: false,
  byeOnTokenExpiry: true,
  maxLiteralBytes: 35 * 1024 * 1024,
  idleTimeoutMs: 30 * 60_000,
  maxLineBytes: 64 * 1024,
} as const;

function resolveBehaviour(behaviour: ImapBehaviour = {}): ResolvedImapBehaviour {
  const throttle = behaviour.throttle;
  return {
    oauthBearer: behaviour.oauthBearer ?? DEFAULTS.oauthBearer,
    byeOnTokenExpiry: behaviour.byeOnTokenExpiry ?? DEFAULTS.byeOnTokenExpiry,
    throttle: throttle
      ? { everyNthCommand: Math.max(1, throttle.everyNthCommand ?? 1), backoffMs: throttle.backoffMs }
      : undefined,
    maxLiteralBytes: behaviour.maxLiteralBytes ?? DEFAULTS.maxLiteralBytes,
    idleTimeoutMs: behaviour.idleTimeoutMs ?? DEFAULTS.idleTimeoutMs,
    maxLineBytes: behaviour.maxLineBytes ?? DEFAULTS.maxLineBytes,
    now: behaviour.now ?? Date.now,
  };
}

/**
 * Starts the IMAP server on `port` (plain, STARTTLS) and `tlsPort` (implicit TLS); 0 picks a
 * free port, and the running server reports the ones chosen.
 */
export async function startImapServer(options: ImapServerOptions): Promise<RunningMailServer> {
  const host = options.host ?? '127.0.0.1';
  const context: ImapServerContext = {
    store: options.store,
    auth: options.auth,
    behaviour: resolveBehaviour(options.behaviour),
    secureContext: createSecureContext(options.tls),
    unsubscribed: new WeakMap(),
  };
  const sessions = new Set<ImapSession>();
  const accept = (socket: Socket, secure: boolean) => {
    sessions.add(new ImapSession(socket, context, secure, (session) => sessions.delete(session)));
  };

  return startMailListeners({
    protocol: 'imap',
    host,
    port: options.port ?? 0,
    tlsPort: options.tlsPort ?? 0,
    secureContext: context.secureContext,
    accept,
    sessions,
  });
}
