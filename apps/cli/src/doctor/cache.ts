/** The doctor's look at the session's token cache: where tokens rest, and whether in clear. */
import type { CacheBackend } from '@kalisto/core';
import type { CheckWarning } from './checks.js';

/**
 * A finding for the cache: a warning when the backend says it keeps tokens in clear
 * (`encrypted: false`, as `@kalisto/cache-redis` and `@kalisto/cache-file` do without a key).
 */
export function tokenCacheFinding(cache: CacheBackend | undefined): string | CheckWarning {
  if (cache === undefined) return 'none: tokens stay in this process';
  const { encrypted } = cache;
  if (encrypted === true) return `${cache.name}, tokens encrypted at rest`;
  if (encrypted !== false) return cache.name;
  return {
    detail: `${cache.name}, tokens in clear`,
    warning: `The ${cache.name} cache stores access and refresh tokens in clear: whoever can read it (or its backups and replicas) can use them.`,
    fix: `Give the cache a 32-byte encryption key: the encryptionKey option of the cache, or KALISTO_CACHE_KEY in the environment of every process that shares it (openssl rand -base64 32).`,
    code: 'CACHE_UNENCRYPTED',
  };
}
