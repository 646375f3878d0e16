import { type CacheBackend, type CacheLock, ConfigError } from '@kalisto/core';
import { defineCacheBackend } from '@kalisto/core/plugin';
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

/**
 * A process-wide token cache: pass the same instance to every session that should share tokens.
 * Values are kept as given (no copy, no serialisation): callers must not mutate what `get` returns.
 * It has no `close()`: there is nothing to release, and a shared instance must outlive any one session.
 */
export function memoryCache(options: MemoryCacheOptions = {}): MemoryCache {
  const max = options.max ?? DEFAULT_MAX;
  if (!Number.isInteger(max) || max < 1) {
    throw new ConfigError([
      { property: 'memoryCache.max', value: String(max), expected: 'a whole number ≥ 1' },
    ]);
  }
  // Values as given (lru-cache holds anything but undefined, which set() turns into a delete).
  const entries = new LRUCache<string, {}>({ max });
  const locks = new InProcessLocks();

  // defineCacheBackend checks each TTL and hands these methods whole, positive milliseconds.
  return defineCacheBackend({
    name: options.name ?? 'memory',
    // Synchronous answers: a hit costs one lru-cache lookup and the one promise the helper makes.
    get: <T>(key: string) => entries.get(key) as T | undefined,
    set(key: string, value: unknown, ttl: number): void {
      // A stored undefined would read as a miss anyway: drop the entry instead.
      if (value === undefined) entries.delete(key);
      else entries.set(key, value as {}, { ttl });
    },
    delete(key: string): void {
      entries.delete(key);
    },
    acquireLock: (key: string, ttl: number) => locks.acquire(key, ttl),
  });
}
