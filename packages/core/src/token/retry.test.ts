import { describe, expect, it } from 'vitest';
import { recordingSleep } from '../../test/runtime-fixtures.js';
import { AuthenticationError, ConnectionError, TokenError } from '../errors/errors.js';
import { abortableSleep, backoffDelay, isTransientError, withRetry } from './retry.js';

const bounds = { retries: 3, baseMs: 100, maxMs: 1_000 };
const transient = (extra: { retryAfterMs?: number } = {}) =>
  new TokenError('busy', { code: 'TOKEN_SERVICE_UNAVAILABLE', transient: true, ...extra });

describe('isTransientError', () => {
  it('follows the transient flag of Kalisto errors', () => {
    expect(isTransientError(transient())).toBe(true);
    expect(isTransientError(new TokenError('bad secret', { code: 'TOKEN_INVALID_CLIENT_SECRET' }))).toBe(
      false,
    );
    expect(isTransientError(new ConnectionError('reset', { code: 'CONNECTION_FAILED' }))).toBe(true);
    expect(
      isTransientError(new AuthenticationError('refused', { code: 'AUTH_REFUSED', protocol: 'imap' })),
    ).toBe(false);
  });

  it('recognises raw network failures, also as the cause of a fetch failure', () => {
    expect(isTransientError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe(true);
    const fetchFailed = new TypeError('fetch failed', {
      cause: Object.assign(new Error('x'), { code: 'EAI_AGAIN' }),
    });
    expect(isTransientError(fetchFailed)).toBe(true);
    expect(isTransientError(new Error('something else'))).toBe(false);
    expect(isTransientError('not even an error')).toBe(false);
  });
});

describe('backoffDelay', () => {
  it('draws from [0, min(maxMs, baseMs·2^n)) ("full jitter")', () => {
    expect([0, 1, 2, 3, 4].map((n) => backoffDelay(n, bounds, () => 0.999))).toEqual([
      99, 199, 399, 799, 999,
    ]);
    expect(backoffDelay(2, bounds, () => 0)).toBe(0);
  });

  it("honours an error's retryAfterMs, capped at maxMs", () => {
    expect(backoffDelay(0, bounds, () => 0.5, transient({ retryAfterMs: 700 }))).toBe(700);
    expect(backoffDelay(0, bounds, () => 0.5, transient({ retryAfterMs: 60_000 }))).toBe(1_000);
  });
});

describe('withRetry', () => {
  it('retries transient failures at most `retries` times, waiting each time', async () => {
    const sleep = recordingSleep();
    let attempts = 0;
    const error = await withRetry(
      async () => {
        attempts++;
        throw transient({ retryAfterMs: 300 });
      },
      bounds,
      { sleep },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenError);
    expect(attempts).toBe(4);
    expect(sleep.waits).toEqual([300, 300, 300]);
  });

  it('returns the first success and reports each retry', async () => {
    const retries: number[] = [];
    let attempts = 0;
    const value = await withRetry(
      async (n) => {
        attempts++;
        if (n < 2) throw transient();
        return 'done';
      },
      bounds,
      { sleep: recordingSleep(), random: () => 0, onRetry: ({ attempt }) => retries.push(attempt) },
    );
    expect(value).toBe('done');
    expect(attempts).toBe(3);
    expect(retries).toEqual([1, 2]);
  });

  it('does not retry a permanent failure', async () => {
    let attempts = 0;
    await expect(
      withRetry(async () => {
        attempts++;
        throw new TokenError('consent', { code: 'TOKEN_CONSENT_REQUIRED' });
      }, bounds),
    ).rejects.toThrow('consent');
    expect(attempts).toBe(1);
  });

  it('stops when the signal aborts during a wait', async () => {
    const controller = new AbortController();
    let attempts = 0;
    const sleep = async (_ms: number, signal?: AbortSignal) => {
      controller.abort(new Error('stop'));
      signal?.throwIfAborted();
    };
    await expect(
      withRetry(
        async () => {
          attempts++;
          throw transient();
        },
        bounds,
        { sleep, signal: controller.signal },
      ),
    ).rejects.toThrow('stop');
    expect(attempts).toBe(1);
  });

  it('does not start when the signal has already aborted', async () => {
    let attempts = 0;
    await expect(
      withRetry(async () => attempts++, bounds, { signal: AbortSignal.abort(new Error('too late')) }),
    ).rejects.toThrow('too late');
    expect(attempts).toBe(0);
  });
});

describe('abortableSleep', () => {
  it('rejects with the reason as soon as the signal aborts', async () => {
    const controller = new AbortController();
    const waiting = abortableSleep(3_600_000, controller.signal);
    controller.abort(new Error('shutting down'));
    await expect(waiting).rejects.toThrow('shutting down');
    await expect(abortableSleep(3_600_000, controller.signal)).rejects.toThrow('shutting down');
  });
});

describe('withRetry and server-suggested waits', () => {
  it('never retries before a Retry-After longer than maxMs: it throws at once', async () => {
    const sleep = recordingSleep();
    let attempts = 0;
    const error = await withRetry(
      async () => {
        attempts++;
        throw transient({ retryAfterMs: 60_000 });
      },
      bounds,
      { sleep },
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ retryAfterMs: 60_000 });
    expect(attempts).toBe(1);
    expect(sleep.waits).toEqual([]);
  });

  it('makes no wait that does not fit in the time left (remainingMs)', async () => {
    const sleep = recordingSleep();
    let left = 1_000;
    let attempts = 0;
    await withRetry(
      async () => {
        attempts++;
        left -= 400;
        throw transient({ retryAfterMs: 300 });
      },
      bounds,
      { sleep, remainingMs: () => left },
    ).catch(() => undefined);
    // 600 left: wait 300; 200 left: a 300 ms wait does not fit.
    expect(attempts).toBe(2);
    expect(sleep.waits).toEqual([300]);
  });
});
