import { afterAll, describe, expect, it } from 'vitest';
import {
  expectNoSecretsSeen,
  type FakeClock,
  type FakeProvider,
  FIXTURE_SECRETS,
  fakeClock,
  fakeProvider,
  type ProviderStep,
  recordingLogger,
  recordingSleep,
  rejectionOf,
  type TestCache,
  testCache,
  testConfig,
} from '../../test/runtime-fixtures.js';
import { TokenError } from '../errors/errors.js';
import { createTokenManager, type TokenManagerOptions } from './manager.js';
import { refreshTime } from './refresh-policy.js';
import type { AccessToken, TokenProvider } from './types.js';

const HOUR = 3_600_000;
const SKEW = 300_000;

interface Setup {
  clock: FakeClock;
  provider: FakeProvider;
  cache?: TestCache;
  logger: ReturnType<typeof recordingLogger>;
  sleep: ReturnType<typeof recordingSleep>;
}

function setup(
  opts: { script?: ProviderStep[]; gated?: boolean; cache?: boolean | 'lock'; lifetimeMs?: number } = {},
  extra: Partial<TokenManagerOptions> = {},
) {
  const clock = fakeClock();
  const provider = fakeProvider({
    clock,
    script: opts.script,
    gated: opts.gated,
    lifetimeMs: opts.lifetimeMs,
  });
  const cache = opts.cache ? testCache({ clock, lock: opts.cache === 'lock' }) : undefined;
  const logger = recordingLogger();
  const sleep = recordingSleep(clock);
  const s: Setup = { clock, provider, cache, logger, sleep };
  const manager = createTokenManager({
    config: testConfig(),
    provider,
    cache,
    logger,
    clock,
    sleep,
    random: () => 0.5,
    ...extra,
  });
  return { ...s, manager };
}

afterAll(() => expectNoSecretsSeen());

describe('single flight', () => {
  for (const cache of [false, true, 'lock'] as const) {
    it(`answers 1,000 concurrent calls on a cold cache with exactly one provider call (cache: ${cache})`, async () => {
      const { manager, provider } = setup({ gated: true, cache });
      const calls = Array.from({ length: 1000 }, () => manager.getToken());
      provider.release();
      const tokens = await Promise.all(calls);
      expect(provider.calls).toHaveLength(1);
      expect(new Set(tokens.map((t) => t.accessToken)).size).toBe(1);
    });
  }

  it('collapses concurrent forced refreshes into one request too', async () => {
    const { manager, provider } = setup({ gated: true });
    const calls = Array.from({ length: 100 }, () => manager.getToken({ forceRefresh: true }));
    provider.release();
    await Promise.all(calls);
    expect(provider.calls).toHaveLength(1);
  });

  it('keeps different scopes apart', async () => {
    const { manager, provider } = setup();
    const imap = await manager.getToken({ scopes: ['https://outlook.office.com/IMAP.AccessAsUser.All'] });
    const smtp = await manager.getToken({ scopes: ['https://outlook.office.com/SMTP.Send'] });
    expect(provider.calls).toHaveLength(2);
    expect(imap.accessToken).not.toBe(smtp.accessToken);
  });

  it('serves later calls from session memory', async () => {
    const { manager, provider, cache } = setup({ cache: true });
    const first = await manager.getToken();
    const opsAfterFirst = cache!.ops.length;
    expect(await manager.getToken()).toEqual(first);
    expect(provider.calls).toHaveLength(1);
    expect(cache!.ops).toHaveLength(opsAfterFirst);
  });

  it('lets two managers sharing a locking cache (two processes) make one provider call', async () => {
    const clock = fakeClock();
    const cache = testCache({ clock, lock: true });
    const config = testConfig();
    const holder = fakeProvider({ clock, gated: true });
    const waiter = fakeProvider({ clock });
    const a = createTokenManager({ config, provider: holder, cache, clock });
    const tokenA = a.getToken();
    // B finds the lock taken; its first poll lets A's identity request finish, then reads A's token.
    const sleep = async () => {
      holder.release();
      await tokenA;
    };
    const b = createTokenManager({ config, provider: waiter, cache, clock, sleep });
    const tokenB = await b.getToken();
    expect(tokenB).toEqual(await tokenA);
    expect(holder.calls.length + waiter.calls.length).toBe(1);
  });

  it('stops waiting for a lock holder that never delivers, after lockWaitMs, and fetches itself', async () => {
    const clock = fakeClock();
    const cache = testCache({ clock, lock: true });
    const config = testConfig();
    const stuck = fakeProvider({ clock, gated: true });
    void createTokenManager({ config, provider: stuck, cache, clock }).getToken();
    const provider = fakeProvider({ clock });
    const sleep = recordingSleep();
    const logger = recordingLogger();
    const b = createTokenManager({
      config,
      provider,
      cache,
      clock,
      sleep,
      logger,
      lockWaitMs: 1_000,
      lockPollMs: 100,
    });
    const token = await b.getToken();
    expect(token.accessToken).toBeTruthy();
    expect(sleep.waits).toEqual(Array(10).fill(100));
    expect(provider.calls).toHaveLength(1);
    expect(logger.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    stuck.release();
  });
});

describe('freshness', () => {
  it('serves a token until the skew window, then refreshes it', async () => {
    const { manager, provider, clock } = setup();
    const first = await manager.getToken();
    clock.advance(HOUR - SKEW - 1);
    expect(await manager.getToken()).toEqual(first);
    clock.advance(2);
    const second = await manager.getToken();
    expect(provider.calls).toHaveLength(2);
    expect(second.accessToken).not.toBe(first.accessToken);
  });

  it('shares a token through the cache only until its refresh time', async () => {
    const { manager, cache, clock } = setup({ cache: true });
    const token = await manager.getToken();
    const [entry] = [...cache!.entries.values()];
    expect(entry!.expiresAt).toBe(token.expiresAt - SKEW);
    expect(clock.now()).toBeLessThan(entry!.expiresAt);
  });

  it('refreshes a token shorter-lived than the skew half-way through its life', () => {
    const token: AccessToken = { accessToken: 'x', expiresAt: 1_000 + 120_000, scopes: [] };
    expect(refreshTime(token, 1_000, SKEW)).toBe(1_000 + 60_000);
    expect(refreshTime({ ...token, expiresAt: 1_000 + HOUR }, 1_000, SKEW)).toBe(1_000 + HOUR - SKEW);
  });

  it('keeps the current token inside the skew window when a refresh fails transiently', async () => {
    const { manager, provider, clock, logger } = setup({
      script: ['ok', 'transient', 'transient', 'transient'],
    });
    const first = await manager.getToken();
    clock.advance(HOUR - SKEW + 1);
    const again = await manager.getToken();
    expect(again).toEqual(first);
    expect(provider.calls).toHaveLength(4);
    expect(logger.lines.some((l) => l.level === 'warn' && /using the current one/.test(l.msg ?? ''))).toBe(
      true,
    );
  });

  it('never returns an expired token: after expiry a failed refresh is an error', async () => {
    const { manager, clock } = setup({ script: ['ok', 'transient', 'transient', 'transient'] });
    await manager.getToken();
    clock.advance(HOUR);
    const error = await rejectionOf(manager.getToken());
    expect(error).toBeInstanceOf(TokenError);
    expect((error as TokenError).code).toBe('TOKEN_SERVICE_UNAVAILABLE');
  });

  it('does not serve an expired token a cache returns, whatever the backend did with the TTL', async () => {
    const { manager, provider, cache, clock } = setup({ cache: true });
    const stale = { accessToken: 'stale', expiresAt: clock.now() - 1, scopes: [] };
    cache!.entries.set(manager.keyFor(), {
      value: { token: stale, refreshAt: clock.now() + HOUR },
      expiresAt: Infinity,
    });
    const token = await manager.getToken();
    expect(token.accessToken).not.toBe('stale');
    expect(provider.calls).toHaveLength(1);
  });

  it('treats a malformed cache entry as a miss', async () => {
    const { manager, provider, cache } = setup({ cache: true });
    cache!.entries.set(manager.keyFor(), { value: { token: 'garbage' }, expiresAt: Infinity });
    await manager.getToken();
    expect(provider.calls).toHaveLength(1);
  });

  it('rejects a token that arrives already expired', async () => {
    const { manager } = setup({ lifetimeMs: 0 });
    const error = await rejectionOf(manager.getToken());
    expect((error as TokenError).code).toBe('TOKEN_EXPIRED_ON_ARRIVAL');
  });
});

describe('retries', () => {
  it('retries transient failures within the bounds, waiting with jitter', async () => {
    const { manager, provider, sleep } = setup(
      { script: ['transient', 'transient'] },
      {
        retry: { retries: 2, baseMs: 100, maxMs: 1_000 },
      },
    );
    await manager.getToken();
    expect(provider.calls).toHaveLength(3);
    expect(sleep.waits).toEqual([50, 100]); // random() = 0.5 of 100 and of 200
  });

  it('gives up after the last retry with the provider error', async () => {
    const { manager, provider } = setup(
      { script: ['transient', 'transient', 'transient', 'transient'] },
      {
        retry: { retries: 2 },
      },
    );
    const error = await rejectionOf(manager.getToken());
    expect(provider.calls).toHaveLength(3);
    expect((error as TokenError).transient).toBe(true);
  });

  it('never retries a permanent failure', async () => {
    const { manager, provider, sleep } = setup({ script: ['permanent'] });
    const error = await rejectionOf(manager.getToken());
    expect(provider.calls).toHaveLength(1);
    expect(sleep.waits).toEqual([]);
    expect((error as TokenError).code).toBe('TOKEN_INVALID_CLIENT_SECRET');
  });

  it('retries a raw network error and reports it as a transient TokenError', async () => {
    const { manager, provider } = setup(
      { script: ['network', 'network', 'network'] },
      { retry: { retries: 2 } },
    );
    const error = await rejectionOf(manager.getToken());
    expect(provider.calls).toHaveLength(3);
    expect(error).toBeInstanceOf(TokenError);
    expect((error as TokenError).code).toBe('TOKEN_NETWORK');
    expect(error.message).toMatch(/^\[token:fake\] /);
  });

  it('scrubs secrets a raw provider error carries', async () => {
    const { manager } = setup({ script: ['leaky-raw'] });
    const error = await rejectionOf(manager.getToken());
    expect((error as TokenError).code).toBe('TOKEN_PROVIDER_FAILED');
    expect(error.message).toContain('client_secret=***');
  });

  it('bounds a provider attempt that never answers', async () => {
    const { manager, provider } = setup({ gated: true }, { attemptTimeoutMs: 1, retry: { retries: 1 } });
    const error = await rejectionOf(manager.getToken());
    expect((error as TokenError).code).toBe('TOKEN_TIMEOUT');
    expect(provider.calls).toHaveLength(2);
    expect(provider.calls.every((c) => c.signal?.aborted)).toBe(true);
  });
});

describe('interactive sign-in (device code)', () => {
  const deviceCode = () => testConfig({ oauth: { flow: 'device_code', password: undefined } });

  it('waits for the person signing in: no attempt timeout cuts the sign-in short', async () => {
    const { manager, provider } = setup({ gated: true }, { config: deviceCode(), attemptTimeoutMs: 1 });
    const pending = manager.getToken();
    await new Promise((resolve) => setTimeout(resolve, 25)); // far beyond the 1 ms attempt timeout
    expect(provider.calls[0]?.signal?.aborted).toBe(false);
    provider.release();
    await expect(pending).resolves.toMatchObject({ accessToken: expect.any(String) });
    expect(provider.calls).toHaveLength(1);
  });

  it('never retries, which would show the user a second code', async () => {
    const { manager, provider } = setup({ script: ['transient'] }, { config: deviceCode() });
    const error = await rejectionOf(manager.getToken());
    expect((error as TokenError).code).toBe('TOKEN_SERVICE_UNAVAILABLE');
    expect(provider.calls).toHaveLength(1);
  });
});

describe('invalidate and forceRefresh', () => {
  it('fetches again after invalidate and removes the shared entry', async () => {
    const { manager, provider, cache } = setup({ cache: true });
    await manager.getToken();
    await manager.invalidate();
    expect(cache!.entries.size).toBe(0);
    await manager.getToken();
    expect(provider.calls).toHaveLength(2);
  });

  it('forceRefresh bypasses memory and cache and tells the provider', async () => {
    const { manager, provider } = setup({ cache: true });
    const first = await manager.getToken();
    const forced = await manager.getToken({ forceRefresh: true });
    expect(forced.accessToken).not.toBe(first.accessToken);
    expect(provider.calls.map((c) => c.forceRefresh)).toEqual([false, true]);
    expect(await manager.getToken()).toEqual(forced);
  });

  it('keys app-only tokens without the user and delegated tokens with it', () => {
    const clock = fakeClock();
    const provider = fakeProvider({ clock });
    const appOnly = createTokenManager({
      config: testConfig({ oauth: { flow: 'client_credentials' } }),
      provider,
    });
    const delegated = createTokenManager({ config: testConfig(), provider });
    expect(appOnly.keyFor({ user: 'a@contoso.example' })).toBe(appOnly.keyFor({ user: 'b@contoso.example' }));
    expect(delegated.keyFor({ user: 'a@contoso.example' })).not.toBe(
      delegated.keyFor({ user: 'b@contoso.example' }),
    );
  });
});

describe('cache failures', () => {
  it('keeps answering when the cache throws, warns once per outage, and uses it again once it answers', async () => {
    const { manager, provider, cache, logger } = setup({ cache: 'lock' });
    cache!.broken = true;
    for (let i = 0; i < 3; i++) {
      await manager.getToken({ forceRefresh: i > 0 });
      await manager.invalidate();
    }
    expect(provider.calls).toHaveLength(3);
    const warnings = logger.lines.filter((l) => l.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.obj.err).toMatchObject({ code: 'CACHE_UNAVAILABLE', backend: 'test' });

    cache!.broken = false;
    const token = await manager.getToken();
    expect(cache!.entries.size).toBe(1);
    expect(logger.lines.some((l) => l.level === 'info' && /answers again/.test(l.msg ?? ''))).toBe(true);
    cache!.broken = true;
    await manager.getToken({ forceRefresh: true });
    expect(logger.lines.filter((l) => l.level === 'warn')).toHaveLength(2);
    expect(token.accessToken).toBeTruthy();
  });

  it('treats a cache that never answers as down', async () => {
    const clock = fakeClock();
    const provider = fakeProvider({ clock });
    const hanging = {
      name: 'hanging',
      get: () => new Promise<undefined>(() => {}),
      set: () => new Promise<void>(() => {}),
      delete: () => new Promise<void>(() => {}),
    };
    const manager = createTokenManager({
      config: testConfig(),
      provider,
      cache: hanging,
      clock,
      cacheTimeoutMs: 1,
    });
    expect((await manager.getToken()).accessToken).toBeTruthy();
  });
});

describe('cancellation', () => {
  it('rejects an aborted caller without disturbing the others', async () => {
    const { manager, provider } = setup({ gated: true });
    const controller = new AbortController();
    const patient = manager.getToken();
    const impatient = manager.getToken({ signal: controller.signal });
    controller.abort(new Error('caller gave up'));
    expect((await rejectionOf(impatient)).message).toBe('caller gave up');
    provider.release();
    expect((await patient).accessToken).toBeTruthy();
    expect(provider.calls[0]!.signal?.aborted).toBe(false);
  });

  it('aborts the provider request when every caller has given up', async () => {
    const { manager, provider } = setup({ gated: true });
    const controller = new AbortController();
    const call = manager.getToken({ signal: controller.signal });
    for (let tick = 0; tick < 50 && provider.calls.length === 0; tick++) await Promise.resolve();
    controller.abort(new Error('no longer needed'));
    await rejectionOf(call);
    expect(provider.calls[0]!.signal?.aborted).toBe(true);
  });
});

describe('errors a provider throws', () => {
  it("scrubs a provider's own TokenError whose server text quotes the secret and a JWT, causes included", async () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
    const echo = `AADSTS7000215: Invalid client secret provided: '${FIXTURE_SECRETS.clientSecret}' (token ${jwt})`;
    const serverError = Object.assign(new Error(echo), { errorMessage: echo });
    const provider: TokenProvider = {
      name: 'echoing',
      getToken: async () => {
        throw new TokenError(`[token:echoing] ${echo}`, {
          code: 'TOKEN_INVALID_CLIENT_SECRET',
          provider: 'echoing',
          description: echo,
          cause: serverError,
        });
      },
    };
    const manager = createTokenManager({ config: testConfig(), provider });
    const error = await rejectionOf(manager.getToken());
    expect(error).toBeInstanceOf(TokenError);
    const chain: unknown[] = [];
    for (let e: unknown = error; e instanceof Error; e = e.cause) chain.push(e);
    const rendered = JSON.stringify(chain, (_key, value) =>
      value instanceof Error ? { ...value, message: value.message, stack: value.stack } : value,
    );
    expect(chain).toHaveLength(2);
    expect(rendered).toContain('AADSTS7000215');
    expect(rendered).not.toContain(FIXTURE_SECRETS.clientSecret);
    expect(rendered).not.toContain(jwt);
  });
});
