import { type CacheBackend, type CacheLock, ConfigError } from '@kalisto/core';
import { LRUCache } from 'lru-cache';
import { InProcessLocks } from './in-process-locks.js';
import { checkedTtl } from './ttl.js';

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
  // lru-cache's value bound is `{}`: null and undefined are never stored (set() turns them into a delete).
  const entries = new LRUCache<string, {}>({ max });
  const locks = new InProcessLocks();

  return {
    name,
    get<T>(key: string): Promise<T | undefined> {
      return Promise.resolve(entries.get(key) as T | undefined);
    },
    async set(key: string, value: unknown, ttlMs: number): Promise<void> {
      const ttl = checkedTtl(name, ttlMs);
      // lru-cache cannot hold undefined/null; a token never is either, and get() of them is a miss anyway.
      if (value === undefined || value === null) entries.delete(key);
      else entries.set(key, value, { ttl });
    },
    async delete(key: string): Promise<void> {
      entries.delete(key);
    },
    async acquireLock(key: string, ttlMs: number): Promise<CacheLock | undefined> {
      return locks.acquire(key, checkedTtl(name, ttlMs));
    },
  };
}
