import type { Logger } from '../logging/logger.js';
import type { CacheGuard } from './cache-guard.js';
import { type CachedToken, parseCachedToken, type SharedCachedToken, tokenBinding } from './cached-token.js';
import type { Clock } from './clock.js';
import type { CredentialVerifier } from './credential-verifier.js';
import { isServable } from './refresh-policy.js';

/** The shared cache's token entries, each bound to the credential that obtained it. */
export interface SharedTokenCache {
  /** The entry under `key`, if it is servable and was obtained with this credential. */
  read(key: string): Promise<CachedToken | undefined>;
  /** Stores `entry` with its verifier until its refresh time (not at all when it cannot be bound). */
  write(key: string, entry: CachedToken): Promise<void>;
  /** Deletes the entry under `key` if it is this credential's (another's is not ours to throw away). */
  deleteOurs(key: string): Promise<void>;
}

export interface SharedTokenCacheOptions {
  guard: CacheGuard;
  /** Checks and signs the credential binding. */
  verifier: CredentialVerifier;
  clock: Clock;
  logger: Logger;
}

/**
 * Reads and writes token entries through the cache guard. An entry carries a verifier (an HMAC under
 * a key scrypt derives from the credential, a random salt and the cache key); another credential's
 * entry, a moved or tampered one, or one without a verifier reads as a miss.
 */
export function createSharedTokenCache(options: SharedTokenCacheOptions): SharedTokenCache {
  const { guard, verifier, clock, logger } = options;

  async function read(key: string): Promise<CachedToken | undefined> {
    const entry = parseCachedToken(
      await guard.use('Reading the cache', undefined, (backend) => backend.get(key)),
    );
    if (!isServable(entry, clock.now())) return undefined;
    const { verifier: record, ...cached } = entry;
    if (await verifier.verify(key, tokenBinding(cached), record)) return cached;
    logger.debug({ key }, 'The cached token was obtained with another credential; not using it.');
    return undefined;
  }

  return {
    read,
    async write(key, entry) {
      if (!guard.enabled) return;
      let shared: SharedCachedToken;
      try {
        shared = { ...entry, verifier: await verifier.sign(key, tokenBinding(entry)) };
      } catch (err) {
        logger.warn(
          { key, err },
          'Could not bind the token to its credential; not sharing it through the cache.',
        );
        return;
      }
      const ttlMs = entry.refreshAt - clock.now();
      if (ttlMs > 0)
        await guard.use('Writing the cache', undefined, (backend) => backend.set(key, shared, ttlMs));
    },
    async deleteOurs(key) {
      if ((await read(key)) === undefined) return;
      await guard.use('Deleting from the cache', undefined, (backend) => backend.delete(key));
    },
  };
}
