import type { CacheBackend } from '../cache/types.js';
import type { Secret } from '../config/secret.js';
import type { ResolvedConfig } from '../config/types.js';
import type { Logger } from '../logging/logger.js';
import type { KalistoTelemetry } from '../telemetry/kalisto-telemetry.js';

/** An OAuth2 access token. Never logged, never put into an error message. */
export interface AccessToken {
  accessToken: string;
  /** Expiry, epoch milliseconds. */
  expiresAt: number;
  scopes: readonly string[];
  /** The signed-in account (delegated flows), e.g. `someone@contoso.example`. */
  account?: string;
}

export interface TokenRequest {
  scopes: readonly string[];
  /** The user a delegated token is for; defaults to the config's `o365.user`. */
  user?: string;
  /** Skip every cache, including the provider's own. */
  forceRefresh?: boolean;
  signal?: AbortSignal;
}

/** Obtains tokens from an identity platform. One instance per session. */
export interface TokenProvider {
  readonly name: string;
  getToken(request: TokenRequest): Promise<AccessToken>;
  close?(): Promise<void>;
}

export interface TokenProviderContext {
  config: ResolvedConfig;
  /** The session's cache backend, e.g. for persisting MSAL's token cache (refresh tokens). */
  cache: CacheBackend | undefined;
  logger: Logger;
  /**
   * Declares credential material the provider presents beyond the configuration's (client secret,
   * certificate, `o365.password`): an imported refresh token, the managed identity it asks for.
   * The session's cached tokens are then served only to sessions declaring the same. Call it from
   * `create()`; absent when the context was built by hand.
   */
  bindCredential?: ((label: string, value: string | Secret | undefined) => void) | undefined;
  /**
   * The session's metrics (e.g. `observeCredentialExpiry`). Always set by a session; absent when the
   * context was built by hand — `telemetryOf(context)` covers both.
   */
  telemetry?: KalistoTelemetry | undefined;
}

/** A named factory, registered with `createKalisto({ tokenProviders })` and picked by `o365.oauth.provider`. */
export interface TokenProviderDefinition {
  readonly name: string;
  /** The flows this provider can run, e.g. `['client_credentials', 'password']`. */
  readonly flows?: readonly string[];
  create(context: TokenProviderContext): TokenProvider;
}

/** What a protocol provider asks for; scopes and user default from the session's config. */
export interface TokenManagerRequest {
  scopes?: readonly string[];
  user?: string;
  forceRefresh?: boolean;
  signal?: AbortSignal;
}

/**
 * One per session: session memory → shared cache → single flight (in-process, then a cache lock
 * across processes) → token provider. Refreshes inside the skew window; never returns an expired token.
 */
export interface TokenManager {
  getToken(request?: TokenManagerRequest): Promise<AccessToken>;
  /** Forget a token a server refused (session memory and shared cache). */
  invalidate(request?: TokenManagerRequest): Promise<void>;
  /** The cache key for a request: a hash of authority, tenant, client id, flow, user and scopes. */
  keyFor(request?: TokenManagerRequest): string;
}
