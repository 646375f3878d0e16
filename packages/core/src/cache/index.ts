// cache/ — the shared token cache as a plugin sees it: the backend interface, encryption at rest,
// the cache key, JSON and TTL checks.

export { toCacheJson } from './json.js';
export { type TokenCacheKeyParts, tokenCacheKey } from './key.js';
export {
  CACHE_KEY_ENV,
  type CacheEncryptionKey,
  createValueSealer,
  type ValueSealer,
  type ValueSealerOptions,
} from './sealing.js';
export type { CacheBackend, CacheLock } from './types.js';
