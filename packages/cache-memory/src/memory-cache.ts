import { type CacheBackend, type CacheLock, ConfigError, checkCacheTtl } from '@kalisto/core';
import { LRUCache } from 'lru-cache';
import { InProcessLocks } from './in-process-locks.js';

/** Options of {@link memoryCache}. */
export interface MemoryCacheOptions {
  /** Most entries kept; the least recently used goes first. Default 10,000. */
  max?: number;
  /** The backend's name in errors and registries. Default `memory`. */
  name?: string;
}

/** A memory cache backend: always has an in-process lock. */
export interface MemoryCache extends CacheBackend {
  acquireLock(key: string, ttlMs: number): Promise<CacheLock | undefined>;
}

const DEFAULT_MAX = 10_000;
const MISS: Promise<undefined> = Promise.resolve(undefined);

/**
 * A process-wide token cache: pass the same instance to every session that should share tokens.
 * Values are kept as given (no copy, no serialisation): callers must not mutate what `get` returns.
 * It has no `close()`: there is nothing to release, and a shared instance must outlive any one session.
 */
export function memoryCache(options: MemoryCacheOptions = {}): MemoryCache {
  const name = options.name ?? 'memory';
  const max = options.max ?? DEFAULT_MAX;
  if (!Number.isInteger(max) || max < 1) {
    throw new ConfigError([
      { property: 'memoryCache.max', value: String(max), expected: 'a whole number ≥ 1' },
    ]);
  }
  // Each value is kept inside an already-resolved promise: a hit hands that promise out as it is, so
  // it allocates nothing and awaiting it is as cheap as awaiting a raw lru-cache get.
  const entries = new LRUCache<string, Promise<unknown>>({ max });
  const locks = new InProcessLocks();

  return {
    name,
    get<T>(key: string): Promise<T | undefined> {
      return (entries.get(key) ?? MISS) as Promise<T | undefined>;
    },
    async set(key: string, value: unknown, ttlMs: number): Promise<void> {
      const ttl = checkCacheTtl(name, ttlMs);
      // A stored undefined would read as a miss anyway: drop the entry instead.
      if (value === undefined) entries.delete(key);
      else entries.set(key, Promise.resolve(value), { ttl });
    },
    async delete(key: string): Promise<void> {
      entries.delete(key);
    },
    async acquireLock(key: string, ttlMs: number): Promise<CacheLock | undefined> {
      return locks.acquire(key, checkCacheTtl(name, ttlMs));
    },
  };
}
