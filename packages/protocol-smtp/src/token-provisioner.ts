/**
 * nodemailer's `provisionCallback` tied to the session's TokenManager, so that every SMTP login
 * takes its token from Kalisto (session memory, shared cache, single flight) and a refused token
 * is replaced by exactly one forced refresh, however many connections saw it refused.
 */
import type { AccessToken, KalistoSession } from '@kalisto/core';
import type { XOAuth2Options } from 'nodemailer';

type ProvisionCallback = NonNullable<XOAuth2Options['provisionCallback']>;

/**
 * The `expires` handed back to nodemailer: a moment long past, so nodemailer never reuses a token
 * on its own and asks again at every login. The TokenManager is the one cache; it answers from
 * memory, refreshes before expiry, and forgets a token once `invalidate()` is called.
 */
const ALREADY_EXPIRED = 1;

/** Marks the error handed to nodemailer when no token could be had; the real one is its `cause`. */
export const TOKEN_UNAVAILABLE = 'KALISTO_TOKEN_UNAVAILABLE';

/**
 * nodemailer rewrites the `code` of the error a provision callback returns (to `EAUTH`). The
 * TokenError is therefore passed as the `cause` of a throw-away error, and comes back unchanged.
 */
function unavailable(cause: unknown): Error {
  return Object.assign(new Error('No access token for SMTP AUTH', { cause }), { kalisto: TOKEN_UNAVAILABLE });
}

/** Counters a caller compares before and after an attempt. */
export interface ProvisionerSnapshot {
  /** Forced refreshes so far (ours and nodemailer's). */
  readonly generation: number;
  /** Logins nodemailer retried itself after an error challenge (`renew = true`). */
  readonly renewals: number;
}

/**
 * The tokens of one transporter: its `provisionCallback` for nodemailer, the forced refresh the
 * provider's retry uses, and counters that tell a retry whether nodemailer already renewed.
 */
export class SessionTokenProvisioner {
  readonly #session: KalistoSession;
  #refreshing: Promise<AccessToken> | undefined;
  #generation = 0;
  #renewals = 0;
  #last: AccessToken | undefined;

  constructor(session: KalistoSession) {
    this.#session = session;
  }

  /** The token of the latest login attempt (for the claims of a refusal); never logged. */
  get lastToken(): AccessToken | undefined {
    return this.#last;
  }

  snapshot(): ProvisionerSnapshot {
    return { generation: this.#generation, renewals: this.#renewals };
  }

  /**
   * For nodemailer's `auth.provisionCallback`. `renew = false`: the session's token. `renew = true`
   * (nodemailer retries once after a server's error challenge): forget it and force a fresh one.
   */
  readonly provisionCallback: ProvisionCallback = (_user, renew, done) => {
    if (renew) this.#renewals++;
    (renew ? this.refresh() : this.current()).then(
      (token) => done(null, token.accessToken, ALREADY_EXPIRED),
      (error: unknown) => done(unavailable(error)),
    );
  };

  /** The session's current token (the TokenManager's memory, cache or provider). */
  async current(): Promise<AccessToken> {
    const token = await this.#session.tokens.getToken();
    this.#last = token;
    return token;
  }

  /**
   * Forgets the token (session memory and shared cache) and forces a fresh one from the identity
   * platform. Concurrent callers share one refresh.
   */
  refresh(): Promise<AccessToken> {
    this.#refreshing ??= (async () => {
      try {
        await this.#session.tokens.invalidate();
        const token = await this.#session.tokens.getToken({ forceRefresh: true });
        this.#generation++;
        this.#last = token;
        return token;
      } finally {
        this.#refreshing = undefined;
      }
    })();
    return this.#refreshing;
  }
}

/** The TokenError (or other failure) behind nodemailer's error, when no token could be had. */
export function tokenFailureOf(error: unknown): unknown {
  const marked = error as { kalisto?: unknown; cause?: unknown } | undefined;
  return marked?.kalisto === TOKEN_UNAVAILABLE ? marked.cause : undefined;
}
