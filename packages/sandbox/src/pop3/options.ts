import type { MailServerOptions } from '../contracts.js';

/**
 * Switches of the POP3 server; every one has an Exchange Online-like default. (A type alias, not an
 * interface, so that it stays assignable to `MailServerOptions['behaviour']`.)
 */
export type Pop3Behaviour = {
  /** Advertise and accept SASL OAUTHBEARER (RFC 7628) besides XOAUTH2. Exchange does not. Default `false`. */
  oauthBearer?: boolean;
  /**
   * Accept XOAUTH2's initial response on the AUTH line (`AUTH XOAUTH2 <base64>`, RFC 5034 SASL-IR).
   * Exchange refuses it with `-ERR Protocol error. Connection is closed. 10` and closes. Default `false`.
   * OAUTHBEARER always accepts an initial response.
   */
  saslIr?: boolean;
  /** Allow AUTH/USER/PASS on the plain port before STLS. Default `false`. */
  allowInsecureAuth?: boolean;
  /** Longest command line accepted, in bytes; longer lines get `-ERR` and the connection closes. Default 16384. */
  maxLineLength?: number;
  /** Failed commands (unknown, wrong state, bad syntax) tolerated before the server hangs up. Default 10. */
  maxBadCommands?: number;
  /** Idle time before the server hangs up, in ms (RFC 1939 asks for at least 10 minutes). Default 600000. */
  idleTimeoutMs?: number;
  /** End the session with `-ERR [SYS/PERM] Session invalidated - …` once the token expires or is revoked. Default `true`. */
  expireSessions?: boolean;
};

/** Options of `startPop3Server`. */
export interface Pop3ServerOptions extends MailServerOptions {
  behaviour?: Pop3Behaviour;
  /** Clock for token expiry checks, epoch ms. Default `Date.now`. */
  now?: () => number;
}

export type ResolvedPop3Behaviour = Required<Pop3Behaviour>;

export const POP3_DEFAULTS: ResolvedPop3Behaviour = {
  oauthBearer: false,
  saslIr: false,
  allowInsecureAuth: false,
  maxLineLength: 16_384,
  maxBadCommands: 10,
  idleTimeoutMs: 600_000,
  expireSessions: true,
};

export function resolvePop3Behaviour(behaviour: Pop3Behaviour = {}): ResolvedPop3Behaviour {
  const defined = Object.fromEntries(Object.entries(behaviour).filter(([, v]) => v !== undefined));
  return { ...POP3_DEFAULTS, ...defined };
}
