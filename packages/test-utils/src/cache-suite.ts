import { type CacheBackend, type CacheLock, isKalistoError } from '@kalisto/core';

/** The few matchers the suite uses; vitest's and jest's `expect` both fit. */
export interface CacheSuiteAssertion {
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
  toBeUndefined(): void;
  toBeDefined(): void;
}

/** The test runner's functions, passed in so that the suite imports no runner itself. */
export interface CacheSuiteRunner {
  describe(name: string, body: () => void): void;
  it(name: string, body: () => Promise<void>, timeoutMs?: number): void;
  expect(actual: unknown): CacheSuiteAssertion;
  /** When given, closes (and cleans up) any backend a test left open, e.g. one that timed out. */
  afterAll?(body: () => Promise<void>): void;
}

/** How to make (and clean up after) the backend under test. */
export interface CacheSuiteOptions {
  /** Names the `describe` block, e.g. `redis (standalone)`. */
  name: string;
  /** A fresh backend for one test; the suite closes it afterwards. */
  create: () => Promise<CacheBackend> | CacheBackend;
  /** Called after each test, once the backend is closed (remove temp files, flush a database…). */
  cleanup?: (backend: CacheBackend) => Promise<void> | void;
  /**
   * `true`: `acquireLock` must exist and behave; `false`: skip the lock tests.
   * Default: run them when the backend has `acquireLock`.
   */
  supportsLock?: boolean;
  /** Waits `ms` milliseconds; replace it to drive a fake clock. Default: a real timer. */
  sleep?: (ms: number) => Promise<void>;
  /** Per-test timeout in ms. Default 20,000. */
  timeoutMs?: number;
  /** How long an expired entry or lock may take to disappear before the test fails, in ms. Default 5,000. */
  expiryPatienceMs?: number;
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** What a call rejected with: its code and the `[cache:name]` its message starts with. */
async function failureOf(call: () => Promise<unknown> | undefined): Promise<string> {
  try {
    await call();
    return 'resolved';
  } catch (error) {
    if (!isKalistoError(error)) return `not a Kalisto error: ${String(error)}`;
    return `${error.code} ${/^\[cache:[^\]]*\]/.exec(error.message)?.[0] ?? '(no [cache:<name>] prefix)'}`;
  }
}

/** A token as the token manager caches it, with the awkward bits a serialiser can get wrong. */
export function tokenShapedValue(seed: string): Record<string, unknown> {
  return {
    accessToken: `eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.${seed}.c2lnbmF0dXJl`,
    expiresAt: 1_900_000_000_000,
    scopes: ['https://outlook.office365.com/.default', 'offline_access'],
    account: { username: `zoë.${seed}@contoso.onmicrosoft.com`, tenantId: '72f988bf', homeAccountId: null },
    extExpiresIn: 3599.5,
    cached: true,
    nested: { list: [1, 'two', { three: [3] }], empty: {}, none: [] },
    unicode: 'Łódź — 東京 — 🚀',
  };
}

/**
 * The behaviour every Kalisto cache backend must have: ours (memory, redis, file) and yours.
 * Call it at the top level of a test file with your runner's functions:
 * `runCacheBackendSuite({ describe, it, expect }, { name: 'mine', create: () => myCache() })`.
 * Every test uses keys of its own, so a shared store (one Redis) is safe.
 */
export function runCacheBackendSuite(runner: CacheSuiteRunner, options: CacheSuiteOptions): void {
  const { describe, it, expect } = runner;
  const sleep = options.sleep ?? realSleep;
  const timeout = options.timeoutMs ?? 20_000;
  const patience = options.expiryPatienceMs ?? 5_000;
  const run = `suite-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  let counter = 0;
  /** Keys no other test (or earlier run against the same store) uses. */
  const keys = (): ((name: string) => string) => {
    const scope = `${run}-${++counter}`;
    return (name) => `${scope}:${name}`;
  };

  const open = new Set<CacheBackend>();
  async function dispose(cache: CacheBackend): Promise<void> {
    open.delete(cache);
    try {
      await cache.close?.();
    } finally {
      await options.cleanup?.(cache);
    }
  }

  async function withBackend(body: (cache: CacheBackend, key: (name: string) => string) => Promise<void>) {
    const cache = await options.create();
    open.add(cache);
    try {
      await body(cache, keys());
    } finally {
      await dispose(cache);
    }
  }

  /** Polls until `check` holds or `withinMs` passes; returns whether it held. */
  async function eventually(check: () => Promise<boolean>, withinMs: number): Promise<boolean> {
    const deadline = Date.now() + withinMs;
    for (;;) {
      if (await check()) return true;
      if (Date.now() > deadline) return false;
      await sleep(25);
    }
  }

  const test = (name: string, body: (cache: CacheBackend, key: (name: string) => string) => Promise<void>) =>
    it(name, () => withBackend(body), timeout);

  describe(`cache backend conformance: ${options.name}`, () => {
    runner.afterAll?.(async () => {
      for (const cache of [...open]) await dispose(cache);
    });

    test('has a name', async (cache) => {
      expect(typeof cache.name).toBe('string');
      expect(cache.name.length > 0).toBe(true);
    });

    test('get of a missing key resolves undefined', async (cache, key) => {
      expect(await cache.get(key('missing'))).toBeUndefined();
    });

    test('round-trips token-shaped values', async (cache, key) => {
      const token = tokenShapedValue('round-trip');
      await cache.set(key('token'), token, 60_000);
      expect(await cache.get(key('token'))).toEqual(token);
    });

    test('round-trips plain strings, numbers, arrays and unicode keys', async (cache, key) => {
      const values: Array<[string, unknown]> = [
        [key('string'), 'just a string'],
        [key('number'), 42.5],
        [key('zero'), 0],
        [key('empty-string'), ''],
        [key('array'), ['a', 1, null, { b: [true] }]],
        [key('ключ-鍵-🔑'), { text: 'wartość — 値 — 🗝️' }],
      ];
      for (const [k, v] of values) await cache.set(k, v, 60_000);
      for (const [k, v] of values) expect(await cache.get(k)).toEqual(v);
    });

    test('an entry expires after its TTL', async (cache, key) => {
      const started = Date.now();
      await cache.set(key('short'), tokenShapedValue('short'), 300);
      await cache.set(key('long'), tokenShapedValue('long'), 60_000);
      const early = await cache.get(key('short'));
      // Only a machine paused for the whole TTL can see it gone this early; do not fail it for that.
      if (Date.now() - started < 250) expect(early).toEqual(tokenShapedValue('short'));
      const gone = await eventually(async () => (await cache.get(key('short'))) === undefined, patience);
      expect(gone).toBe(true);
      expect(await cache.get(key('long'))).toEqual(tokenShapedValue('long'));
    });

    test('overwriting replaces the value and its TTL', async (cache, key) => {
      await cache.set(key('k'), { v: 1 }, 150);
      await cache.set(key('k'), { v: 2 }, 60_000);
      expect(await cache.get(key('k'))).toEqual({ v: 2 });
      await sleep(400);
      expect(await cache.get(key('k'))).toEqual({ v: 2 });
    });

    test('delete removes an entry, and deleting a missing key is harmless', async (cache, key) => {
      await cache.set(key('gone'), { v: 1 }, 60_000);
      await cache.set(key('kept'), { v: 2 }, 60_000);
      await cache.delete(key('gone'));
      await cache.delete(key('never-set'));
      expect(await cache.get(key('gone'))).toBeUndefined();
      expect(await cache.get(key('kept'))).toEqual({ v: 2 });
    });

    test('keys are isolated: prefixes, case and separators do not collide', async (cache, key) => {
      const names = ['a', 'A', 'a:b', 'a:', 'ab', 'a b', 'a/b', 'a.b'];
      for (const [i, name] of names.entries()) await cache.set(key(name), { i }, 60_000);
      for (const [i, name] of names.entries()) expect(await cache.get(key(name))).toEqual({ i });
      await cache.delete(key('a'));
      expect(await cache.get(key('a'))).toBeUndefined();
      expect(await cache.get(key('a:b'))).toEqual({ i: 2 });
    });

    test('holds many keys', async (cache, key) => {
      const count = 200;
      for (let i = 0; i < count; i++) await cache.set(key(`many-${i}`), { i, token: `t-${i}` }, 60_000);
      let found = 0;
      for (let i = 0; i < count; i++) {
        const value = await cache.get<{ i: number; token: string }>(key(`many-${i}`));
        if (value?.i === i && value.token === `t-${i}`) found++;
      }
      expect(found).toBe(count);
    });

    test('concurrent sets of distinct keys all persist', async (cache, key) => {
      const count = 50;
      await Promise.all(
        Array.from({ length: count }, (_, i) =>
          cache.set(key(`concurrent-${i}`), tokenShapedValue(`${i}`), 60_000),
        ),
      );
      const values = await Promise.all(
        Array.from({ length: count }, (_, i) => cache.get(key(`concurrent-${i}`))),
      );
      for (const [i, value] of values.entries()) expect(value).toEqual(tokenShapedValue(`${i}`));
    });

    test('close() can be called twice', async () => {
      const extra = await options.create();
      const settle = (closing: Promise<void> | undefined) =>
        Promise.resolve(closing).then(
          () => 'closed',
          (error: unknown) => `failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      try {
        const outcomes = [await settle(extra.close?.()), await settle(extra.close?.())];
        expect(outcomes).toEqual(['closed', 'closed']);
      } finally {
        await options.cleanup?.(extra);
      }
    });

    test('refuses a TTL that is not a positive number of ms with CACHE_INVALID_TTL', async (cache, key) => {
      for (const ttl of [0, -1, Number.NaN]) {
        const failure = await failureOf(() => cache.set(key('bad-ttl'), { v: 1 }, ttl));
        expect(failure).toBe(`CACHE_INVALID_TTL [cache:${cache.name}]`);
      }
      expect(await cache.get(key('bad-ttl'))).toBeUndefined();
    });

    test('says whether it encrypts at rest: encrypted is true, false or absent', async (cache) => {
      expect(['true', 'false', 'undefined'].includes(String(cache.encrypted))).toBe(true);
    });

    test('after close(), every call fails with CACHE_CLOSED (a backend without close() has none)', async () => {
      const extra = await options.create();
      try {
        await extra.close?.();
        if (extra.close === undefined) return;
        const key = keys();
        const failures = [
          await failureOf(() => extra.get(key('closed'))),
          await failureOf(() => extra.set(key('closed'), 1, 60_000)),
          await failureOf(() => extra.delete(key('closed'))),
          ...(extra.acquireLock === undefined
            ? []
            : [await failureOf(() => extra.acquireLock?.(key('closed'), 1_000))]),
        ];
        expect(failures).toEqual(failures.map(() => `CACHE_CLOSED [cache:${extra.name}]`));
      } finally {
        await options.cleanup?.(extra);
      }
    });

    if (options.supportsLock === false) return;
    describe('locks', () => {
      type LockingBackend = CacheBackend & Required<Pick<CacheBackend, 'acquireLock'>>;
      const lockTest = (
        name: string,
        body: (cache: LockingBackend, key: (n: string) => string) => Promise<void>,
      ) =>
        test(name, async (cache, key) => {
          if (options.supportsLock === undefined && cache.acquireLock === undefined) {
            // Detected, not declared: a backend without locks passes by having none.
            expect(cache.acquireLock).toBeUndefined();
            return;
          }
          expect(typeof cache.acquireLock).toBe('function');
          await body(cache as LockingBackend, key);
        });

      lockTest('only one holder at a time, even when asked concurrently', async (cache, key) => {
        const attempts = await Promise.all(
          Array.from({ length: 10 }, () => cache.acquireLock(key('lock'), 10_000)),
        );
        const held = attempts.filter((lock): lock is CacheLock => lock !== undefined);
        expect(held.length).toBe(1);
        expect(await cache.acquireLock(key('lock'), 10_000)).toBeUndefined();
        await held[0]?.release();
      });

      lockTest('releasing lets the next holder take it', async (cache, key) => {
        const first = await cache.acquireLock(key('lock'), 10_000);
        expect(first).toBeDefined();
        await first?.release();
        const second = await cache.acquireLock(key('lock'), 10_000);
        expect(second).toBeDefined();
        await second?.release();
      });

      lockTest('a lock expires after its TTL', async (cache, key) => {
        const first = await cache.acquireLock(key('lock'), 200);
        expect(first).toBeDefined();
        let second: CacheLock | undefined;
        const freed = await eventually(async () => {
          second = await cache.acquireLock(key('lock'), 10_000);
          return second !== undefined;
        }, patience);
        expect(freed).toBe(true);
        await second?.release();
      });

      lockTest('releasing twice is harmless', async (cache, key) => {
        const lock = await cache.acquireLock(key('lock'), 10_000);
        expect(lock).toBeDefined();
        await lock?.release();
        await lock?.release();
        const next = await cache.acquireLock(key('lock'), 10_000);
        expect(next).toBeDefined();
        await next?.release();
      });

      lockTest("an expired holder's release does not free the next holder's lock", async (cache, key) => {
        const stale = await cache.acquireLock(key('lock'), 200);
        expect(stale).toBeDefined();
        let current: CacheLock | undefined;
        await eventually(async () => {
          current = await cache.acquireLock(key('lock'), 10_000);
          return current !== undefined;
        }, patience);
        expect(current).toBeDefined();
        await stale?.release();
        expect(await cache.acquireLock(key('lock'), 10_000)).toBeUndefined();
        await current?.release();
      });

      lockTest(
        'locks on different keys are independent and do not touch cached values',
        async (cache, key) => {
          await cache.set(key('a'), { v: 'a' }, 60_000);
          const a = await cache.acquireLock(key('a'), 10_000);
          const b = await cache.acquireLock(key('b'), 10_000);
          expect(a).toBeDefined();
          expect(b).toBeDefined();
          expect(await cache.get(key('a'))).toEqual({ v: 'a' });
          expect(await cache.get(key('b'))).toBeUndefined();
          await a?.release();
          await b?.release();
          expect(await cache.get(key('a'))).toEqual({ v: 'a' });
        },
      );
    });
  });
}
