import type { Secret } from '@kalisto/core';
import type { ClientAuthMethod } from './token-endpoint.js';

/** Options of {@link oauth2TokenProvider}. Every one is optional. */
export interface OAuth2TokenProviderOptions {
  /**
   * How the client secret travels: `body` (`client_id` and `client_secret` form fields, what the
   * Java library did) or `basic` (HTTP Basic, RFC 6749 §2.3.1). Default `body`.
   */
  clientAuth?: ClientAuthMethod;
  /**
   * A refresh token to start from (flow `refresh_token`) when the cache holds none yet. It is
   * redeemed once; the rotated tokens then live in the cache, bound to it: keep it configured (a
   * password sign-in's refresh tokens are bound to the password and serve only that credential).
   */
  refreshToken?: string | Secret;
  /** Hosts that bypass the proxy (NO_PROXY syntax). Default: the `NO_PROXY` environment variable. */
  noProxy?: string;
  /** How long a stored refresh token lives after its last write, ms. Default 90 days. */
  refreshTokenTtlMs?: number;
  /** Sees every request to the token endpoint (method and URL only), e.g. for auditing egress. */
  onRequest?: (request: { method: 'POST'; url: string }) => void;
}
