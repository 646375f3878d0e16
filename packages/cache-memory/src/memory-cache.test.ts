import { CacheError, ConfigError } from '@kalisto/core';
import { runCacheBackendSuite } from '@kalisto/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { memoryCache } from './memory-cache.js';

runCacheBackendSuite({ describe, it, expect, afterAll }, { name: 'memory', create: () => memoryCache() });

describe('memoryCache', () => {
  it('is named memory unless told otherwise', () => {
    expect(memoryCache().name).toBe('memory');
    expect(memoryCache({ name: 'services/cache/tokenO365' }).name).toBe('services/cache/tokenO365');
  });

  it('returns the very object it was given: no copy on the hit path', async () => {
    const cache = memoryCache();
    const token = { accessToken: 'a', expiresAt: 1 };
    await cache.set('k', token, 60_000);
    expect(await cache.get('k')).toBe(token);
  });

  it('evicts the least recently used entry beyond max', async () => {
    const cache = memoryCache({ max: 2 });
    await cache.set('a', 1, 60_000);
    await cache.set('b', 2, 60_000);
    await cache.get('a');
    await cache.set('c', 3, 60_000);
    expect(await cache.get('a')).toBe(1);
    expect(await cache.get('b')).toBeUndefined();
    expect(await cache.get('c')).toBe(3);
  });

  it('is shared by everyone holding the same instance, and only by them', async () => {
    const shared = memoryCache();
    const other = memoryCache();
    await shared.set('k', 'v', 60_000);
    expect(await shared.get('k')).toBe('v');
    expect(await other.get('k')).toBeUndefined();
  });

  it('refuses a TTL that is not a positive number', async () => {
    const cache = memoryCache();
    for (const ttl of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(cache.set('k', 'v', ttl)).rejects.toThrow(CacheError);
      await expect(cache.set('k', 'v', ttl)).rejects.toMatchObject({
        code: 'CACHE_INVALID_TTL',
        backend: 'memory',
      });
    }
    await expect(cache.acquireLock('k', 0)).rejects.toMatchObject({ code: 'CACHE_INVALID_TTL' });
  });

  it('refuses a max that is not a whole number ≥ 1', () => {
    for (const max of [0, 1.5, -3]) expect(() => memoryCache({ max })).toThrow(ConfigError);
  });
});
