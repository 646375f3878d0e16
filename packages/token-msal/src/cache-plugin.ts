import { createHash } from 'node:crypto';
import type { ICachePlugin, TokenCacheContext } from '@azure/msal-node';
import type { CacheBackend, Logger } from '@kalisto/core';
import type { CredentialVerifier, VerifierRecord } from '@kalisto/core/plugin';

/** Prefix of the cache entries holding MSAL's serialised token cache. */
export const MSAL_CACHE_KEY_PREFIX = 'kalisto:msal-cache:v1:';

/** Refresh tokens die after 90 days unused; each write renews the entry for as long. */
export const DEFAULT_MSAL_CACHE_TTL_MS = 90 * 86_400_000;

/** What one persisted MSAL cache belongs to. None of it is secret. */
export interface MsalCacheKeyParts {
  /** `https://host/tenant`. */
  authority: string;
  clientId: string;
  /** The delegated user, when known before sign-in. */
  user?: string | undefined;
}

/**
 * The cache key of one MSAL token cache: a SHA-256 of authority (tenant included), client id and
 * user, lower-cased so that spelling differences share an entry and two tenants never do.
 */
export function msalCacheKey(parts: MsalCacheKeyParts): string {
  const canonical = JSON.stringify([
    parts.authority.trim().replace(/\/+$/, '').toLowerCase(),
    parts.clientId.trim().toLowerCase(),
    parts.user?.trim().toLowerCase() ?? null,
  ]);
  return MSAL_CACHE_KEY_PREFIX + createHash('sha256').update(canonical).digest('hex');
}

export interface BackendCachePluginOptions {
  backend: CacheBackend;
  key: string;
  ttlMs: number;
  logger: Logger;
  /** Binds the persisted cache to the session's credential (see `credentialMaterial` in core). */
  verifier: CredentialVerifier;
  /** Epoch ms; default `Date.now`. */
  now?: () => number;
}

/** What the backend holds: MSAL's serialised cache and the proof of the credential that wrote it. */
interface PersistedMsalCache {
  cache: string;
  verifier: VerifierRecord;
  /**
   * Epoch ms when the refresh token in `cache` was issued (MSAL redeemed the previous one, or a
   * sign-in): its 90-day inactivity window starts here. Not secret. Absent in earlier entries.
   */
  refreshedAt?: number;
}

/** A cache plugin that also knows when the persisted refresh token was issued. */
export interface BackendCachePlugin extends ICachePlugin {
  /** When the refresh token MSAL last loaded or wrote was issued (epoch ms); undefined if unknown. */
  refreshTokenIssuedAt(): number | undefined;
}

/** A digest of the refresh tokens in a serialised MSAL cache: it changes when MSAL redeems (rotates) one. */
function refreshTokenDigest(cache: string): string {
  let secrets: string[] = [];
  try {
    const tokens = (JSON.parse(cache) as { RefreshToken?: Record<string, { secret?: unknown }> })
      .RefreshToken;
    secrets = Object.values(tokens ?? {})
      .map((entry) => String(entry?.secret ?? ''))
      .sort();
  } catch {
    // Not MSAL's JSON: no refresh token to follow.
  }
  return createHash('sha256').update(JSON.stringify(secrets)).digest('hex');
}

/**
 * Persists MSAL's token cache — accounts and refresh tokens, rotated ones included — in a Kalisto
 * cache backend, so that another process or a restart redeems the refresh token instead of asking
 * the user to sign in again. MSAL reads the entry before and writes it after every cache access.
 *
 * The entry is bound to the credential that wrote it: a session with another credential (a wrong
 * password, another client secret, no credential at all) does not load it, so its MSAL finds no
 * account and must sign in itself; it overwrites the entry only when that sign-in succeeds. An entry
 * in the earlier format (no verifier) is not loaded either.
 *
 * A failing backend is logged and skipped: the process carries on with MSAL's memory.
 */
export function backendCachePlugin(options: BackendCachePluginOptions): BackendCachePlugin {
  const { backend, key, ttlMs, logger, verifier, now = Date.now } = options;
  let digest: string | undefined;
  let refreshedAt: number | undefined;
  return {
    refreshTokenIssuedAt: () => refreshedAt,
    async beforeCacheAccess(context: TokenCacheContext): Promise<void> {
      let stored: unknown;
      try {
        stored = await backend.get(key);
      } catch (error) {
        logger.warn({ backend: backend.name, err: error }, 'Could not read the persisted MSAL token cache');
        return;
      }
      if (stored === undefined) return;
      const {
        cache,
        verifier: record,
        refreshedAt: issued,
      } = (typeof stored === 'object' && stored !== null ? stored : {}) as Partial<PersistedMsalCache>;
      if (typeof cache === 'string' && cache !== '' && (await verifier.verify(key, cache, record))) {
        context.tokenCache.deserialize(cache);
        digest = refreshTokenDigest(cache);
        refreshedAt = typeof issued === 'number' ? issued : undefined;
        return;
      }
      logger.debug(
        { backend: backend.name },
        'The persisted MSAL token cache was written with another credential (or an earlier format); not using it',
      );
    },
    async afterCacheAccess(context: TokenCacheContext): Promise<void> {
      if (!context.cacheHasChanged) return;
      try {
        const cache = context.tokenCache.serialize();
        const written = refreshTokenDigest(cache);
        if (written !== digest || refreshedAt === undefined) refreshedAt = now();
        digest = written;
        const entry: PersistedMsalCache = { cache, verifier: await verifier.sign(key, cache), refreshedAt };
        await backend.set(key, entry, ttlMs);
      } catch (error) {
        logger.warn(
          { backend: backend.name, err: error },
          'Could not persist the MSAL token cache: a rotated refresh token is only in this process',
        );
      }
    },
  };
}
