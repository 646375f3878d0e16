import type { MailServerOptions } from '../contracts.js';

/** A sending quota: at most `messages` accepted per mailbox within any `windowMs`. */
export interface SubmissionQuota {
  messages: number;
  windowMs: number;
}

/**
 * Switches of the SMTP server; every one has an Exchange Online-like default. (A type alias, not an
 * interface, so that it stays assignable to `MailServerOptions['behaviour']`.)
 */
export type SmtpBehaviour = {
  /** Advertise and accept SASL OAUTHBEARER (RFC 7628) besides XOAUTH2. Exchange does not. Default `false`. */
  oauthBearer?: boolean;
  /**
   * Authenticated sessions one mailbox may hold at once (Exchange allows about 3); the next AUTH gets
   * `432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded`. Default 3.
   */
  maxConnectionsPerMailbox?: number;
  /**
   * On a refused XOAUTH2 token, send Gmail's base64 JSON error challenge (`334 eyJzdGF0dXMiOiI0MDEi…`)
   * before the 535, instead of Exchange's immediate `535 5.7.3`. The final line is then smtp-server's
   * own `535 Error: Username and Password not accepted`. Default `false`.
   */
  xoauth2ErrorChallenge?: boolean;
  /** Refuse messages over this quota with `554 5.2.0 …SubmissionQuotaExceededException`. Default: none. */
  submissionQuota?: SubmissionQuota;
  /** Largest message accepted, in bytes (advertised as SIZE). Default 157286400, as Exchange Online. */
  maxMessageSize?: number;
  /** Answer MAIL FROM with `421 4.7.0 …` and close once the session's token expired or was revoked. Default `true`. */
  expireSessions?: boolean;
};

/** Options of `startSmtpServer`: `port` is submission with STARTTLS (587), `tlsPort` implicit TLS (465). */
export interface SmtpServerOptions extends MailServerOptions {
  behaviour?: SmtpBehaviour;
  /** Clock for token expiry and the quota window, epoch ms. Default `Date.now`. */
  now?: () => number;
}

export interface ResolvedSmtpBehaviour extends Required<Omit<SmtpBehaviour, 'submissionQuota'>> {
  submissionQuota: SubmissionQuota | undefined;
}

export const SMTP_DEFAULTS: ResolvedSmtpBehaviour = {
  oauthBearer: false,
  xoauth2ErrorChallenge: false,
  maxConnectionsPerMailbox: 3,
  submissionQuota: undefined,
  maxMessageSize: 157_286_400,
  expireSessions: true,
};

export function resolveSmtpBehaviour(behaviour: SmtpBehaviour = {}): ResolvedSmtpBehaviour {
  const defined = Object.fromEntries(Object.entries(behaviour).filter(([, v]) => v !== undefined));
  return { ...SMTP_DEFAULTS, ...defined };
}
