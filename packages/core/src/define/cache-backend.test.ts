import { afterAll, describe, expect, it } from 'vitest';
import {
  connectionRefused,
  expectNoSecretsSeen,
  fakeClock,
  rejectionOf,
  testCache,
  thrownBy,
} from '../../test/runtime-fixtures.js';
import { CacheError } from '../errors/errors.js';
import { defineCacheBackend } from './cache-backend.js';

afterAll(() => expectNoSecretsSeen());

describe('defineCacheBackend', () => {
  const failing = {
    name: 'redis',
    get: async () => {
      throw Object.assign(connectionRefused(), { command: { name: 'get', args: ['cached value'] } });
    },
    set: async () => {},
    delete: async () => {},
  };

  it('returns the backend, with its failures as prefixed CacheErrors whose cause holds no driver data', async () => {
    const backend = defineCacheBackend(failing);
    expect(backend.name).toBe('redis');
    const error = await rejectionOf(backend.get('k'));
    expect(error).toBeInstanceOf(CacheError);
    expect(error).toMatchObject({ code: 'CACHE_UNAVAILABLE', backend: 'redis' });
    expect(error.message).toMatch(/^\[cache:redis\] Reading the cache failed: connect ECONNREFUSED/);
    expect(error.cause).toBeInstanceOf(Error);
    expect({ ...(error.cause as object) }).toEqual({ name: 'Error', code: 'ECONNREFUSED' });
    expect((error.cause as Error).message).toBe('connect ECONNREFUSED 127.0.0.1:6379');
  });

  it('wraps a synchronous throw too, and lets a Kalisto error of the backend through', async () => {
    const own = new CacheError('[cache:sync] own', { code: 'CACHE_TIMEOUT', backend: 'sync' });
    const backend = defineCacheBackend({
      ...failing,
      name: 'sync',
      get: () => {
        throw new Error('not async');
      },
      delete: async () => {
        throw own;
      },
    });
    expect(await rejectionOf(backend.get('k'))).toMatchObject({ code: 'CACHE_UNAVAILABLE' });
    expect(await rejectionOf(backend.delete('k'))).toBe(own);
  });

  it('takes synchronous answers, and still wraps a promise that rejects', async () => {
    const stored = { v: 1 };
    const writes: unknown[] = [];
    const backend = defineCacheBackend({
      name: 'sync',
      get: <T>(key: string) => (key === 'k' ? stored : undefined) as T | undefined,
      set: (_key: string, value: unknown) => void writes.push(value),
      delete: async () => {
        throw connectionRefused();
      },
    });
    const hit = backend.get('k');
    expect(hit).toBeInstanceOf(Promise);
    expect(await hit).toBe(stored);
    expect(await backend.get('other')).toBeUndefined();
    await backend.set('k', 2, 1_000);
    expect(writes).toEqual([2]);
    expect(await rejectionOf(backend.delete('k'))).toMatchObject({
      code: 'CACHE_UNAVAILABLE',
      backend: 'sync',
    });
  });

  it('is called by a factory of yours; locks are wrapped and release once', async () => {
    const mapCache = (opts: { clock: ReturnType<typeof fakeClock> }) => {
      const { name, get, set, delete: remove, acquireLock } = testCache({ clock: opts.clock, lock: true });
      return defineCacheBackend({ name, get, set, delete: remove, acquireLock: acquireLock! });
    };
    const backend = mapCache({ clock: fakeClock() });
    await backend.set('k', { v: 1 }, 1_000);
    expect(await backend.get('k')).toEqual({ v: 1 });
    const lock = await backend.acquireLock?.('k:lock', 1_000);
    expect(await backend.acquireLock?.('k:lock', 1_000)).toBeUndefined();
    await lock?.release();
    await lock?.release();
    expect(await backend.acquireLock?.('k:lock', 1_000)).toBeDefined();
  });

  it('checks the object now: name, methods, encrypted', () => {
    const missing = thrownBy(() =>
      defineCacheBackend({ name: 'mine', get: async () => undefined, set: async () => {} } as never),
    );
    expect(missing.code).toBe('PLUGIN_INVALID');
    expect(missing.message).toBe('[cache:mine] A cache backend needs a "delete" method (it has: get, set).');
    expect(thrownBy(() => defineCacheBackend({ ...failing, name: '' })).message).toMatch(
      /needs a non-empty name/,
    );
    expect(thrownBy(() => defineCacheBackend({ ...failing, encrypted: 'yes' as never })).message).toBe(
      '[cache:redis] A cache backend\'s "encrypted" is true, false or absent (got string).',
    );
    // A member CacheBackend does not have (here a misspelt acquireLock) does not compile.
    // @ts-expect-error lock is not a CacheBackend member
    defineCacheBackend({ ...failing, lock: async () => undefined });
  });

  it('rejects a non-positive TTL before the backend runs, and hands it whole milliseconds', async () => {
    const ttls: number[] = [];
    const backend = defineCacheBackend({
      ...failing,
      name: 'ttl',
      set: async (_key: string, _value: unknown, ttlMs: number) => void ttls.push(ttlMs),
      acquireLock: async (_key: string, ttlMs: number) => {
        ttls.push(ttlMs);
        return undefined;
      },
    });
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      const error = await rejectionOf(backend.set('k', 1, bad));
      expect(error).toMatchObject({ code: 'CACHE_INVALID_TTL', backend: 'ttl' });
      expect(error.message).toMatch(/^\[cache:ttl\] TTL must be a positive number/);
      expect(await rejectionOf(backend.acquireLock('k', bad))).toMatchObject({ code: 'CACHE_INVALID_TTL' });
    }
    await backend.set('k', 1, 1.2);
    await backend.acquireLock('k', 0.5);
    expect(ttls).toEqual([2, 1]);
  });

  it('closes once, and fails every call after close with CACHE_CLOSED without reaching the backend', async () => {
    let closes = 0;
    const calls: string[] = [];
    const backend = defineCacheBackend({
      name: 'x',
      get: async () => void calls.push('get'),
      set: async () => void calls.push('set'),
      delete: async () => void calls.push('delete'),
      acquireLock: async () => ({ release: async () => void calls.push('release') }),
      close: async () => void closes++,
    });
    const lock = await backend.acquireLock('k', 1_000);
    await Promise.all([backend.close(), backend.close()]);
    await backend.close();
    expect(closes).toBe(1);
    for (const call of [
      backend.get('k'),
      backend.set('k', 1, 1_000),
      backend.delete('k'),
      backend.acquireLock('k', 1_000),
      lock?.release() ?? Promise.resolve(),
    ]) {
      const error = await rejectionOf(call);
      expect(error).toBeInstanceOf(CacheError);
      expect(error).toMatchObject({ code: 'CACHE_CLOSED', backend: 'x' });
      expect(error.message).toBe('[cache:x] The cache was closed; create a new one to use it again.');
    }
    expect(calls).toEqual([]);
  });

  it('keeps a backend without close() usable (nothing to close, no closed state)', async () => {
    const backend = defineCacheBackend({ ...failing, get: async <T>() => 'v' as T });
    expect('close' in backend).toBe(false);
    expect(await backend.get('k')).toBe('v');
  });

  it('passes encrypted through, read-only, and exposes only the members it was given', () => {
    const clear = defineCacheBackend({ ...failing, encrypted: false });
    expect(clear.encrypted).toBe(false);
    expect(() => Object.assign(clear, { encrypted: true })).toThrow(TypeError);
    expect(clear.encrypted).toBe(false);
    expect(Object.keys(clear).sort()).toEqual(['delete', 'encrypted', 'get', 'name', 'set']);
    expect('encrypted' in defineCacheBackend(failing)).toBe(false);
  });
});
