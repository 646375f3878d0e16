// The one deadline of a token request, on virtual time: timers and sleeps fire only when a test
// advances the fake clock, so no assertion depends on how fast the machine is.
import { afterAll, describe, expect, it } from 'vitest';
import {
  expectNoSecretsSeen,
  type FakeClock,
  FIXTURE_SECRETS,
  fakeClock,
  recordError,
  recordingLogger,
  testConfig,
} from '../../test/runtime-fixtures.js';
import { TokenError } from '../errors/errors.js';
import type { Timer } from './clock.js';
import { createTokenManager, type TokenManagerOptions } from './manager.js';
import type { TokenProvider, TokenRequest } from './types.js';

const HOUR = 3_600_000;
const SKEW = 300_000;

afterAll(() => expectNoSecretsSeen());

function virtualTime() {
  const clock = fakeClock();
  const pending = new Set<{ at: number; fire: () => void }>();
  const timer: Timer = (ms, fire) => {
    const entry = { at: clock.now() + ms, fire };
    pending.add(entry);
    return () => pending.delete(entry);
  };
  const sleep = (ms: number, signal?: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      signal?.throwIfAborted();
      const cancel = timer(ms, resolve);
      signal?.addEventListener(
        'abort',
        () => {
          cancel();
          reject(signal.reason);
        },
        { once: true },
      );
    });
  const settle = async () => {
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
  };
  /** Moves time forward by `ms`, firing every timer due on the way, in order. */
  async function advance(ms: number) {
    const end = clock.now() + ms;
    for (;;) {
      await settle();
      const due = [...pending].filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      pending.delete(due);
      clock.advance(due.at - clock.now());
      due.fire();
    }
    clock.advance(end - clock.now());
    await settle();
  }
  return { clock, timer, sleep, advance };
}

type Step = 'ok' | 'hang' | { retryAfterMs: number };

/** A provider following `steps` (then `ok`): `hang` never answers unless aborted. */
function stepProvider(clock: FakeClock, steps: Step[]): TokenProvider & { calls: TokenRequest[] } {
  const calls: TokenRequest[] = [];
  return {
    name: 'steps',
    calls,
    async getToken(request) {
      calls.push(request);
      const step = steps.shift() ?? 'ok';
      if (step === 'hang') return new Promise<never>(() => {});
      if (step !== 'ok') {
        throw new TokenError('[token:steps] AADSTS50196: throttled (429).', {
          code: 'TOKEN_THROTTLED',
          transient: true,
          status: 429,
          retryAfterMs: step.retryAfterMs,
        });
      }
      const n = calls.length;
      return {
        accessToken: `${FIXTURE_SECRETS.tokenPrefix}s${n}`,
        expiresAt: clock.now() + HOUR,
        scopes: [],
      };
    },
  };
}

/** Follows a promise from the start: `current` is 'pending', `{ value }` or `{ error }`. */
function track(promise: Promise<unknown>): { current: unknown } {
  const state: { current: unknown } = { current: 'pending' };
  promise.then(
    (value) => {
      state.current = { value };
    },
    (error: unknown) => {
      state.current = { error: recordError(error) };
    },
  );
  return state;
}

describe('one deadline per token request', () => {
  function deadlineSetup(steps: Step[], extra: Partial<TokenManagerOptions> = {}) {
    const time = virtualTime();
    const provider = stepProvider(time.clock, steps);
    const logger = recordingLogger();
    const manager = createTokenManager({
      config: testConfig(),
      provider,
      logger,
      clock: time.clock,
      sleep: time.sleep,
      timer: time.timer,
      random: () => 0.5,
      ...extra,
    });
    return { ...time, provider, manager, logger };
  }

  it('a hanging identity platform costs one kalisto.oauth.timeout, retries included, not three', async () => {
    const { manager, provider, advance } = deadlineSetup(['hang', 'hang', 'hang']);
    const call = track(manager.getToken());
    await advance(29_999);
    expect(call.current).toBe('pending');
    await advance(1);
    expect(call.current).toMatchObject({ error: { name: 'TokenError', code: 'TOKEN_TIMEOUT' } });
    expect(provider.calls).toHaveLength(1);
    expect(provider.calls[0]!.signal?.aborted).toBe(true);
  });

  it('gives each attempt what is left of the deadline', async () => {
    const { manager, provider, advance } = deadlineSetup(['hang', 'hang', 'hang'], {
      attemptTimeoutMs: 20_000,
    });
    const call = track(manager.getToken());
    await advance(20_000 + 125); // first attempt timed out, jittered backoff (0.5 × 250 ms) waited
    expect(provider.calls).toHaveLength(2);
    await advance(30_000 - 20_125 - 1);
    expect(call.current).toBe('pending');
    await advance(1);
    expect(call.current).toMatchObject({ error: { code: 'TOKEN_TIMEOUT' } });
    expect(provider.calls).toHaveLength(2);
  });

  it('waits exactly the Retry-After a throttled answer names, when it fits', async () => {
    const { manager, provider, advance } = deadlineSetup([{ retryAfterMs: 2_000 }]);
    const call = track(manager.getToken());
    await advance(1_999);
    expect(provider.calls).toHaveLength(1);
    await advance(1);
    expect(call.current).toMatchObject({ value: { accessToken: expect.any(String) } });
    expect(provider.calls).toHaveLength(2);
  });

  it('gives up at once when Retry-After exceeds the retry bound or the time left, instead of retrying early', async () => {
    for (const [retryAfterMs, extra] of [
      [60_000, {}],
      [4_000, { deadlineMs: 3_000 }],
    ] as const) {
      const { manager, provider, advance } = deadlineSetup([{ retryAfterMs }], extra);
      const call = track(manager.getToken());
      await advance(0);
      expect(call.current).toMatchObject({
        error: { code: 'TOKEN_THROTTLED', retryAfterMs },
      });
      expect(provider.calls).toHaveLength(1);
    }
  });

  it('keeps serving a still-valid token while the refresh hangs past the deadline', async () => {
    const { manager, provider, advance, clock, logger } = deadlineSetup(['ok', 'hang', 'hang', 'hang']);
    const token = await manager.getToken();
    clock.advance(HOUR - SKEW + 1);
    const call = track(manager.getToken());
    await advance(30_000);
    expect(call.current).toEqual({ value: token });
    expect(provider.calls).toHaveLength(2);
    expect(logger.lines.some((l) => l.level === 'warn' && /using the current one/.test(l.msg ?? ''))).toBe(
      true,
    );
  });

  it('the deadline also bounds waiting for another process’s lock', async () => {
    const { manager, advance } = deadlineSetup([], {
      cache: {
        name: 'always-locked',
        get: async () => undefined,
        set: async () => {},
        delete: async () => {},
        acquireLock: async () => undefined,
      },
      lockWaitMs: 3_600_000,
      attemptTimeoutMs: 3_600_000,
    });
    const call = track(manager.getToken());
    await advance(30_000);
    expect(call.current).toMatchObject({ error: { code: 'TOKEN_TIMEOUT' } });
  });
});
