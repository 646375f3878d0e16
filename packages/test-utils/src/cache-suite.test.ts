import type { CacheBackend, CacheLock } from '@kalisto/core';
import { defineCacheBackend } from '@kalisto/core/plugin';
import { describe, expect, it } from 'vitest';
import { type CacheSuiteOptions, runCacheBackendSuite } from './cache-suite.js';

interface CollectedTest {
  name: string;
  body: () => Promise<void>;
}

/** Runs the suite with a runner of our own, so that a failing conformance test is an outcome we can check. */
async function outcomes(options: CacheSuiteOptions): Promise<Map<string, 'pass' | 'fail'>> {
  const tests: CollectedTest[] = [];
  const path: string[] = [];
  runCacheBackendSuite(
    {
      describe: (name, body) => {
        path.push(name);
        body();
        path.pop();
      },
      it: (name, body) => tests.push({ name: [...path.slice(1), name].join(' > '), body }),
      expect: (actual) => expect(actual),
    },
    options,
  );
  const results = new Map<string, 'pass' | 'fail'>();
  for (const test of tests) {
    try {
      await test.body();
      results.set(test.name, 'pass');
    } catch {
      results.set(test.name, 'fail');
    }
  }
  return results;
}

interface Flaws {
  ignoresTtl?: boolean;
  sharedLock?: boolean;
  anyoneReleases?: boolean;
  locksNeverExpire?: boolean;
  /** Not defined through `defineCacheBackend`: no TTL check, and still working after `close()`. */
  undefined?: boolean;
  /** Says it encrypts with something other than a boolean. */
  encryptedText?: boolean;
}

/** A correct backend (defined as users define theirs), or one with the flaw a test must catch. */
function mapBackend(flaws: Flaws = {}): CacheBackend {
  const backend = mapImplementation(flaws);
  return flaws.undefined ? backend : defineCacheBackend(backend);
}

function mapImplementation(flaws: Flaws) {
  const entries = new Map<string, { value: unknown; expiresAt: number }>();
  const locks = new Map<string, { owner: object; expiresAt: number }>();
  return {
    name: 'map',
    ...(flaws.encryptedText ? { encrypted: 'AES' as never } : { encrypted: false }),
    async close() {},
    async get<T>(key: string) {
      const entry = entries.get(key);
      if (entry === undefined || (!flaws.ignoresTtl && entry.expiresAt <= Date.now())) return undefined;
      return entry.value as T;
    },
    async set(key: string, value: unknown, ttlMs: number) {
      entries.set(key, { value: structuredClone(value), expiresAt: Date.now() + ttlMs });
    },
    async delete(key: string) {
      entries.delete(key);
    },
    async acquireLock(key: string, ttlMs: number): Promise<CacheLock | undefined> {
      const held = locks.get(key);
      const expired = held !== undefined && !flaws.locksNeverExpire && held.expiresAt <= Date.now();
      if (held !== undefined && !expired && !flaws.sharedLock) return undefined;
      const owner = {};
      locks.set(key, { owner, expiresAt: Date.now() + ttlMs });
      return {
        release: async () => {
          if (flaws.anyoneReleases || locks.get(key)?.owner === owner) locks.delete(key);
        },
      };
    },
  };
}

const failing = (results: Map<string, 'pass' | 'fail'>) =>
  [...results].filter(([, outcome]) => outcome === 'fail').map(([name]) => name);

describe('runCacheBackendSuite', () => {
  it('passes a correct backend', async () => {
    const results = await outcomes({ name: 'ok', create: () => mapBackend() });
    expect(results.size).toBeGreaterThan(15);
    expect(failing(results)).toEqual([]);
  });

  it('catches a backend that ignores TTLs', async () => {
    const results = await outcomes({
      name: 'no-ttl',
      create: () => mapBackend({ ignoresTtl: true }),
      expiryPatienceMs: 1_000,
    });
    expect(failing(results)).toEqual(['an entry expires after its TTL']);
  });

  it('catches a lock that two callers can hold', async () => {
    const results = await outcomes({ name: 'shared', create: () => mapBackend({ sharedLock: true }) });
    expect(failing(results)).toContain('locks > only one holder at a time, even when asked concurrently');
  });

  it("catches a release that frees someone else's lock", async () => {
    const results = await outcomes({ name: 'rude', create: () => mapBackend({ anyoneReleases: true }) });
    expect(failing(results)).toEqual([
      "locks > an expired holder's release does not free the next holder's lock",
    ]);
  });

  it('catches a backend that does not check TTLs nor refuse calls after close (one not defined through defineCacheBackend)', async () => {
    const results = await outcomes({ name: 'raw', create: () => mapBackend({ undefined: true }) });
    expect(failing(results)).toEqual([
      'refuses a TTL that is not a positive number of ms with CACHE_INVALID_TTL',
      'after close(), every call fails with CACHE_CLOSED (a backend without close() has none)',
    ]);
  });

  it('catches an encrypted flag that is not a boolean', async () => {
    const results = await outcomes({
      name: 'text',
      create: () => mapBackend({ undefined: true, encryptedText: true }),
    });
    expect(failing(results)).toContain(
      'says whether it encrypts at rest: encrypted is true, false or absent',
    );
  });

  it('catches a lock that never expires', async () => {
    const results = await outcomes({
      name: 'sticky',
      create: () => mapBackend({ locksNeverExpire: true }),
      expiryPatienceMs: 1_000,
    });
    expect(failing(results)).toContain('locks > a lock expires after its TTL');
  });

  it('closes, at afterAll, a backend whose test never finished', async () => {
    const hooks: Array<() => Promise<void>> = [];
    const tests: Array<() => Promise<void>> = [];
    let closed = 0;
    runCacheBackendSuite(
      {
        describe: (_name, body) => body(),
        it: (_name, body) => tests.push(body),
        expect: (actual) => expect(actual),
        afterAll: (body) => hooks.push(body),
      },
      {
        name: 'hanging',
        create: () => ({
          ...mapBackend(),
          get: () => new Promise<undefined>(() => {}),
          close: async () => {
            closed++;
          },
        }),
        supportsLock: false,
      },
    );
    // The second test's get never settles: left running, as a runner that timed it out would leave it.
    void tests[1]?.();
    await new Promise((resolve) => setImmediate(resolve));
    expect(closed).toBe(0);
    for (const hook of hooks) await hook();
    expect(hooks.length).toBe(1);
    expect(closed).toBe(1);
  });

  it('skips the lock tests when told the backend has none, and closes every backend it creates', async () => {
    let created = 0;
    let cleaned = 0;
    const results = await outcomes({
      name: 'no-locks',
      create: () => {
        created++;
        return { ...mapBackend(), acquireLock: undefined };
      },
      cleanup: () => {
        cleaned++;
      },
      supportsLock: false,
    });
    expect([...results.keys()].some((name) => name.startsWith('locks'))).toBe(false);
    expect(failing(results)).toEqual([]);
    expect(cleaned).toBe(created);
  });
});
