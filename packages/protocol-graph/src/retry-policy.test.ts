import { describe, expect, it } from 'vitest';
import { isRetryableFailure, parseRetryAfter, retryDecision } from './retry-policy.js';

const base = { retries: 0, waitedMs: 0, maxRetries: 3, budgetMs: 60_000, random: () => 0.5 };

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates, and nothing else', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-3', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

describe('retryDecision', () => {
  it('retries 429 and 503 for every method: Graph did nothing with the request', () => {
    for (const status of [429, 503]) {
      expect(isRetryableFailure({ status, idempotent: false })).toBe(true);
      expect(retryDecision({ ...base, status, idempotent: false, retryAfterMs: 2000 })).toEqual({
        retry: true,
        delayMs: 2000,
      });
    }
  });

  it('retries a gateway failure or a lost connection only when the request may be sent twice', () => {
    expect(retryDecision({ ...base, status: 502, idempotent: false })).toEqual({
      retry: false,
      reason: 'final',
    });
    expect(retryDecision({ ...base, networkError: true, idempotent: false })).toEqual({
      retry: false,
      reason: 'final',
    });
    expect(retryDecision({ ...base, status: 504, idempotent: true }).retry).toBe(true);
    expect(retryDecision({ ...base, networkError: true, idempotent: true }).retry).toBe(true);
  });

  it('never retries a refusal (400, 403, 404, 413)', () => {
    for (const status of [400, 403, 404, 413]) {
      expect(retryDecision({ ...base, status, idempotent: true })).toEqual({ retry: false, reason: 'final' });
    }
  });

  it('stops after maxRetries', () => {
    expect(retryDecision({ ...base, status: 429, idempotent: true, retries: 3 })).toEqual({
      retry: false,
      reason: 'attempts',
    });
    expect(retryDecision({ ...base, status: 429, idempotent: true, maxRetries: 0 })).toEqual({
      retry: false,
      reason: 'attempts',
    });
  });

  it('honours Retry-After in full, and fails at once when it does not fit what is left of the budget', () => {
    expect(
      retryDecision({ ...base, status: 429, idempotent: true, retryAfterMs: 59_000, waitedMs: 1000 }),
    ).toEqual({
      retry: true,
      delayMs: 59_000,
    });
    expect(
      retryDecision({ ...base, status: 429, idempotent: true, retryAfterMs: 59_001, waitedMs: 1000 }),
    ).toEqual({
      retry: false,
      reason: 'budget',
    });
  });

  it('without Retry-After waits a jittered, doubling, capped time', () => {
    const delay = (retries: number, random: number) =>
      retryDecision({
        ...base,
        budgetMs: 1e9,
        maxRetries: 99,
        status: 503,
        idempotent: true,
        retries,
        random: () => random,
      });
    expect(delay(0, 0.5)).toEqual({ retry: true, delayMs: 500 });
    expect(delay(2, 0.5)).toEqual({ retry: true, delayMs: 2000 });
    expect(delay(10, 0.999)).toEqual({ retry: true, delayMs: 29_970 });
  });
});
