import { createHash } from 'node:crypto';
import type { CacheBackend, Logger } from '@kalisto/core';

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
  /** Epoch ms of the write, for diagnostics. */
  storedAt: number;
}

/** The newest refresh token of one user: in this process, and in the session's cache backend when there is one. */
export interface RefreshTokenStore {
  get(): Promise<string | undefined>;
  set(refreshToken: string): Promise<void>;
  delete(): Promise<void>;
}

export interface RefreshTokenStoreOptions {
  backend: CacheBackend | undefined;
  key: string;
  ttlMs: number;
  logger: Logger;
}

/**
 * Keeps the newest (rotated) refresh token where the next process finds it. The backend wins over
 * this process's memory, since another node may have rotated the token meanwhile; a failing
 * backend is logged and the memory copy used.
 */
export function refreshTokenStore(options: RefreshTokenStoreOptions): RefreshTokenStore {
  const { backend, key, ttlMs, logger } = options;
  let memory: string | undefined;
  const warn = (error: unknown, what: string) =>
    logger.warn(
      { provider: 'oauth2', backend: backend?.name, err: error },
      `Could not ${what} the refresh token in the cache`,
    );
  return {
    async get() {
      if (backend === undefined) return memory;
      try {
        const stored = await backend.get<StoredRefreshToken>(key);
        if (typeof stored?.refreshToken === 'string') memory = stored.refreshToken;
      } catch (error) {
        warn(error, 'read');
      }
      return memory;
    },
    async set(refreshToken) {
      memory = refreshToken;
      if (backend === undefined) return;
      try {
        await backend.set(key, { refreshToken, storedAt: Date.now() } satisfies StoredRefreshToken, ttlMs);
      } catch (error) {
        warn(error, 'store');
      }
    },
    async delete() {
      memory = undefined;
      if (backend === undefined) return;
      try {
        await backend.delete(key);
      } catch (error) {
        warn(error, 'delete');
      }
    },
  };
}
