import { randomUUID } from 'node:crypto';
import type {
  AccountInfo,
  AuthenticationResult,
  ConfidentialClientApplication,
  PublicClientApplication,
} from '@azure/msal-node';
import { type CacheBackend, ConfigError } from '@kalisto/core';
import {
  type CredentialExpiryWatch,
  type CredentialMaterial,
  createCredentialVerifier,
  refreshTokenExpiresAt,
  refreshTokenNeedsRenewal,
  type TokenRequest,
} from '@kalisto/core/plugin';
import {
  type BackendCachePlugin,
  backendCachePlugin,
  DEFAULT_MSAL_CACHE_TTL_MS,
  msalCacheKey,
} from '../cache-plugin.js';
import { needsSignIn } from '../errors.js';
import {
  clientCredential,
  createConfidentialApp,
  createPublicApp,
  type MsalAppSettings,
} from '../msal-app.js';
import type { TrackedCall } from '../network-client.js';
import type { Flow } from './flow.js';

export type DelegatedApp = PublicClientApplication | ConfidentialClientApplication;

/** What a sign-in step gets: the user's app (with its cache) and the request. */
export interface SignInContext {
  app: DelegatedApp;
  scopes: string[];
  user: string | undefined;
  signal: AbortSignal | undefined;
  correlationId: string;
}

export interface DelegatedFlowOptions {
  settings: MsalAppSettings;
  /** The session's cache backend: persists accounts and refresh tokens across processes. */
  cache: CacheBackend | undefined;
  cacheTtlMs?: number | undefined;
  /** The session's credential; the persisted cache is bound to it. */
  credential: CredentialMaterial;
  /** Device code needs a public client; the others use the client credential when one is configured. */
  client: 'public' | 'auto';
  /** Obtains a token when the cache has none for the user. */
  signIn: (context: SignInContext) => Promise<AuthenticationResult | null>;
  /**
   * Also sign in when the cached refresh token is refused (password, device code). Without it the
   * refusal itself (expired or revoked refresh token) is the error, which tells the user to sign in.
   */
  signInWhenRefused: boolean;
  /** Sign in without looking at the cache first (an explicit login); the result replaces the cached account's tokens. */
  signInFirst?: boolean;
  /** Tracks the persisted refresh token's age (warnings, the expiry gauge). */
  expiry?: CredentialExpiryWatch | undefined;
  /** Epoch ms; default `Date.now`. */
  now?: () => number;
}

interface UserApp {
  app: DelegatedApp;
  /** Absent without a cache backend: MSAL's memory only, no age to follow. */
  plugin: BackendCachePlugin | undefined;
}

/**
 * A delegated flow: the user's token comes from MSAL's cache (refreshed with the cached refresh
 * token, which MSAL rotates and the cache plugin persists) and only when that cannot work from
 * `signIn` — the password, a device code or an imported refresh token.
 */
export function delegatedFlow(options: DelegatedFlowOptions): Flow {
  const { settings, expiry, now = Date.now } = options;
  const apps = new Map<string, UserApp>();
  const verifier = createCredentialVerifier(options.credential);

  function appFor(user: string | undefined): UserApp {
    const id = user?.toLowerCase() ?? '';
    let entry = apps.get(id);
    if (entry === undefined) {
      const cachePlugin =
        options.cache === undefined
          ? undefined
          : backendCachePlugin({
              backend: options.cache,
              key: msalCacheKey({
                authority: settings.oauth.authority,
                clientId: settings.oauth.clientId,
                user,
              }),
              ttlMs: options.cacheTtlMs ?? DEFAULT_MSAL_CACHE_TTL_MS,
              logger: settings.logger,
              verifier,
              now,
            });
      const appSettings = { ...settings, cachePlugin };
      const confidential = options.client === 'auto' && clientCredential(settings.oauth) !== undefined;
      const app = confidential ? createConfidentialApp(appSettings) : createPublicApp(appSettings);
      entry = { app, plugin: cachePlugin };
      apps.set(id, entry);
    }
    return entry;
  }

  /** Reports the persisted refresh token's expiry (90 days after it was issued). */
  function track(plugin: BackendCachePlugin | undefined, user: string | undefined, issuedAt?: number): void {
    const issued = issuedAt ?? plugin?.refreshTokenIssuedAt();
    if (expiry === undefined || issued === undefined) return;
    expiry.track({
      kind: 'refresh_token',
      subject: `refresh token of ${user ?? 'the user'}`,
      expiresAt: refreshTokenExpiresAt(issued),
    });
  }

  return {
    async acquire(request: TokenRequest, call: TrackedCall) {
      const user = request.user ?? settings.oauth.user;
      const { app, plugin } = appFor(user);
      const scopes = [...request.scopes];
      const account = options.signInFirst ? undefined : await cachedAccount(app, user);
      if (account !== undefined) {
        // Entra ID refuses a refresh token unused for 90 days: one idle past the threshold (or of
        // unknown age) is redeemed now, which renews it, instead of dying unnoticed.
        const issuedAt = plugin?.refreshTokenIssuedAt();
        const renew = plugin !== undefined && refreshTokenNeedsRenewal(issuedAt, now());
        try {
          const result = await app.acquireTokenSilent({
            account,
            scopes,
            forceRefresh: request.forceRefresh === true || renew,
            correlationId: randomUUID(),
          });
          if (renew && issuedAt !== undefined) {
            settings.logger.info(
              { provider: 'msal', user, idleDays: Math.floor((now() - issuedAt) / 86_400_000) },
              'Redeemed an idle refresh token before it expires of inactivity',
            );
          }
          track(plugin, user);
          return result;
        } catch (error) {
          // Not renewed: say how long the old one has left (expired: how to sign in again).
          if (renew) track(plugin, user, issuedAt);
          if (!options.signInWhenRefused || !needsSignIn(error, call.failure)) throw error;
          settings.logger.info(
            { provider: 'msal', user },
            'The cached refresh token no longer works; signing in',
          );
          call.failure = undefined;
        }
      }
      const result = await options.signIn({
        app,
        scopes,
        user,
        signal: request.signal,
        correlationId: randomUUID(),
      });
      track(plugin, user);
      return result;
    },
  };
}

/** The cached account of `user` (any spelling), or the only cached account when no user is configured. */
async function cachedAccount(app: DelegatedApp, user: string | undefined): Promise<AccountInfo | undefined> {
  const accounts = await app.getTokenCache().getAllAccounts();
  if (user !== undefined) return accounts.find((a) => a.username.toLowerCase() === user.toLowerCase());
  if (accounts.length > 1) {
    throw new ConfigError([
      {
        property: 'o365.user',
        expected: 'the user to get tokens for: the token cache holds several accounts',
      },
    ]);
  }
  return accounts[0];
}
