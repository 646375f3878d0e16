/** A held cross-process lock. */
export interface CacheLock {
  release(): Promise<void>;
}

/**
 * Where tokens are shared: a process (memory), a cluster (Redis) or restarts (file).
 * Values are JSON-serialisable; a backend may encrypt them at rest.
 * Keys never contain a secret (see `tokenCacheKey`). Define one with `defineCacheBackend`.
 */
export interface CacheBackend {
  readonly name: string;
  get<T = unknown>(key: string): Promise<T | undefined>;
  /** Stores `value` for `ttlMs` milliseconds (> 0). */
  set(key: string, value: unknown, ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
  /**
   * Try to take a lock for cross-process single flight. Resolves `undefined` when another
   * holder has it (the caller then waits for the holder's result); the lock expires after `ttlMs`.
   */
  acquireLock?(key: string, ttlMs: number): Promise<CacheLock | undefined>;
  close?(): Promise<void>;
  /**
   * Whether values are encrypted at rest. `false` says tokens are stored in clear (readable by whoever
   * can read the store): `createKalisto` warns once and `kalisto doctor` reports it. Absent: not said
   * (a store in this process's memory has nothing to encrypt).
   */
  readonly encrypted?: boolean;
}
