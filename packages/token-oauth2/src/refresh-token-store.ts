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
  /** Epoch ms of the write, for diagnostics. */
  storedAt: number;
  /** Proves which credential obtained it (see `createCredentialVerifier` in core). */
  verifier: VerifierRecord;
}

/** The newest refresh token of one user: in this process, and in the session's cache backend when there is one. */
export interface RefreshTokenStore {
  get(): Promise<string | undefined>;
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
}

/**
 * Keeps the newest (rotated) refresh token where the next process finds it. The backend wins over
 * this process's memory, since another node may have rotated the token meanwhile — but only an
 * entry written with this session's credential: one obtained with another password, another
 * client secret, another imported refresh token (or in the earlier format) is not used, nor
 * deleted. A failing backend is logged and the memory copy used.
 */
export function refreshTokenStore(options: RefreshTokenStoreOptions): RefreshTokenStore {
  const { backend, key, ttlMs, logger, verifier } = options;
  let memory: string | undefined;
  const warn = (error: unknown, what: string) =>
    logger.warn(
      { provider: 'oauth2', backend: backend?.name, err: error },
      `Could not ${what} the refresh token in the cache`,
    );

  /** The backend's refresh token, if this credential stored it. */
  async function stored(backend: CacheBackend): Promise<string | undefined> {
    const entry = await backend.get<Partial<StoredRefreshToken>>(key);
    const refreshToken = entry?.refreshToken;
    if (typeof refreshToken !== 'string' || refreshToken === '') return undefined;
    return (await verifier.verify(key, refreshToken, entry?.verifier)) ? refreshToken : undefined;
  }

  return {
    async get() {
      if (backend === undefined) return memory;
      try {
        memory = (await stored(backend)) ?? memory;
      } catch (error) {
        warn(error, 'read');
      }
      return memory;
    },
    async set(refreshToken) {
      memory = refreshToken;
      if (backend === undefined) return;
      try {
        const entry: StoredRefreshToken = {
          refreshToken,
          storedAt: Date.now(),
          verifier: await verifier.sign(key, refreshToken),
        };
        await backend.set(key, entry, ttlMs);
      } catch (error) {
        warn(error, 'store');
      }
    },
    async delete() {
      memory = undefined;
      if (backend === undefined) return;
      try {
        if ((await stored(backend)) !== undefined) await backend.delete(key);
      } catch (error) {
        warn(error, 'delete');
      }
    },
  };
}
