import { CacheError } from '../errors/errors.js';

/**
 * For cache backends: rejects a TTL that is not a positive, finite number of milliseconds with a
 * `CacheError` (`CACHE_INVALID_TTL`, prefixed `[cache:<backend>]`); returns it rounded up to whole ms.
 */
export function checkCacheTtl(backend: string, ttlMs: number): number {
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new CacheError(
      `[cache:${backend}] TTL must be a positive number of milliseconds, got ${String(ttlMs)}.`,
      {
        code: 'CACHE_INVALID_TTL',
        backend,
        hint: 'Pass ttlMs > 0; do not cache a token that has already expired.',
      },
    );
  }
  return Math.ceil(ttlMs);
}
