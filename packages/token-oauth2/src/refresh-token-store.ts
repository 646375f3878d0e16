import { createHash } from 'node:crypto';
import type { CacheBackend, Logger } from '@kalisto/core';
import type { CredentialVerifier, VerifierRecord } from '@kalisto/core/plugin';

/** Prefix of the cache entries holding a user's refresh token. */
export const REFRESH_TOKEN_KEY_PREFIX = 'kalisto:oauth2-refresh:v1:';

/** Refresh tokens die after 90 days unused at Microsoft; each write renews the entry for as long. */
export const DEFAULT_REFRESH_TOKEN_TTL_MS = 90 * 86_400_000;

/** What one stored refresh token belongs to. None of it is secret. */
export interface RefreshTokenKeyParts {
  /** The token endpoint (tenant included). */
  tokenUrl: string;
  clientId: string;
  user?: string | undefined;
}

/** The cache key of a refresh token: a SHA-256 of token URL, client id and user, lower-cased. */
export function refreshTokenKey(parts: RefreshTokenKeyParts): string {
  const canonical = JSON.stringify([
    parts.tokenUrl.trim().toLowerCase(),
    parts.clientId.trim().toLowerCase(),
    parts.user?.trim().toLowerCase() ?? null,
  ]);
  return REFRESH_TOKEN_KEY_PREFIX + createHash('sha256').update(canonical).digest('hex');
}

interface StoredRefreshToken {
  refreshToken: string;
  /**
   * Epoch ms of the write: when the identity platform issued this refresh token (each redemption
   * returns a new one), so its 90-day inactivity window starts here. Not secret.
   */
  storedAt: number;
  /** Proves which credential obtained it (see `createCredentialVerifier` in core). */
  verifier: VerifierRecord;
}

/** The newest refresh token of one user: in this process, and in the session's cache backend when there is one. */
export interface RefreshTokenStore {
  get(): Promise<string | undefined>;
  /** When the refresh token the last `get()` or `set()` saw was issued (epoch ms); undefined if unknown. */
  issuedAt(): number | undefined;
  set(refreshToken: string): Promise<void>;
  /** Forgets the refresh token: here, and in the backend when the entry there is this credential's. */
  delete(): Promise<void>;
}

export interface RefreshTokenStoreOptions {
  backend: CacheBackend | undefined;
  key: string;
  ttlMs: number;
  logger: Logger;
  /** Binds stored refresh tokens to the session's credential. */
  verifier: CredentialVerifier;
  /** Epoch ms; default `Date.now`. */
  now?: () => number;
}

/**
 * Keeps the newest (rotated) refresh token where the next process finds it. The backend wins over
 * this process's memory, since another node may have rotated the token meanwhile — but only an
 * entry written with this session's credential: one obtained with another password, another
 * client secret, another imported refresh token (or in the earlier format) is not used, nor
 * deleted. A failing backend is logged and the memory copy used.
 */
export function refreshTokenStore(options: RefreshTokenStoreOptions): RefreshTokenStore {
  const { backend, key, ttlMs, logger, verifier, now = Date.now } = options;
  let memory: string | undefined;
  let memoryIssuedAt: number | undefined;
  const warn = (error: unknown, what: string) =>
    logger.warn(
      { provider: 'oauth2', backend: backend?.name, err: error },
      `Could not ${what} the refresh token in the cache`,
    );

  /** The backend's refresh token and when it was issued, if this credential stored it. */
  async function stored(
    backend: CacheBackend,
  ): Promise<{ refreshToken: string; issuedAt: number | undefined } | undefined> {
    const entry = await backend.get<Partial<StoredRefreshToken>>(key);
    const refreshToken = entry?.refreshToken;
    if (typeof refreshToken !== 'string' || refreshToken === '') return undefined;
    if (!(await verifier.verify(key, refreshToken, entry?.verifier))) return undefined;
    const issuedAt = typeof entry?.storedAt === 'number' ? entry.storedAt : undefined;
    return { refreshToken, issuedAt };
  }

  return {
    async get() {
      if (backend === undefined) return memory;
      try {
        const found = await stored(backend);
        if (found !== undefined) {
          memory = found.refreshToken;
          memoryIssuedAt = found.issuedAt;
        }
      } catch (error) {
        warn(error, 'read');
      }
      return memory;
    },
    issuedAt: () => memoryIssuedAt,
    async set(refreshToken) {
      memory = refreshToken;
      memoryIssuedAt = now();
      if (backend === undefined) return;
      try {
        const entry: StoredRefreshToken = {
          refreshToken,
          storedAt: memoryIssuedAt,
          verifier: await verifier.sign(key, refreshToken),
        };
        await backend.set(key, entry, ttlMs);
      } catch (error) {
        warn(error, 'store');
      }
    },
    async delete() {
      memory = undefined;
      memoryIssuedAt = undefined;
      if (backend === undefined) return;
      try {
        if ((await stored(backend)) !== undefined) await backend.delete(key);
      } catch (error) {
        warn(error, 'delete');
      }
    },
  };
}
