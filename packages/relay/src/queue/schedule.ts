/**
 * The retry policy both backends share: exponential backoff with jitter, bounded attempts and age,
 * and what happens after a failed attempt. Pure functions: the clock and randomness come in.
 */
import { randomBytes } from 'node:crypto';
import type { ResolvedTuning } from './options.js';
import { DeliveryFailure, type FailureRecord, type QueuedItem } from './types.js';

/**
 * Wait before attempt `attempt + 1` after `attempt` failed ones (attempt ≥ 1): base·2^(attempt−1),
 * capped at max, then 50–100 % of that (jitter, so instances that failed together do not retry in
 * lockstep), and never less than what upstream asked for (`retryAfterMs`).
 */
export function backoffDelay(
  attempt: number,
  tuning: Pick<ResolvedTuning, 'backoffBaseMs' | 'backoffMaxMs'>,
  random: () => number = Math.random,
  retryAfterMs = 0,
): number {
  const exponential = tuning.backoffBaseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 40);
  const capped = Math.min(exponential, tuning.backoffMaxMs);
  const jittered = Math.round(capped * (0.5 + 0.5 * random()));
  return Math.max(jittered, retryAfterMs);
}

/** What to do with a message after a failed attempt. */
export type Settlement =
  | { readonly action: 'retry'; readonly failure: FailureRecord; readonly nextAttemptAt: number }
  | { readonly action: 'dead'; readonly failure: FailureRecord };

const CONTROL = /[\u0000-\u001f\u007f-\u009f]+/g;

/** The failure as recorded: `DeliveryFailure`s as given, anything else transient with its message. */
export function failureRecord(error: unknown, at: number): FailureRecord {
  if (error instanceof DeliveryFailure || (error as { name?: unknown })?.name === 'DeliveryFailure') {
    const failure = error as DeliveryFailure;
    return {
      reply: failure.reply.replace(CONTROL, ' ').slice(0, 1_000),
      transient: failure.transient !== false,
      at,
      ...(typeof failure.code === 'number' ? { code: failure.code } : {}),
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { reply: `relay: ${message}`.replace(CONTROL, ' ').slice(0, 1_000), transient: true, at };
}

/**
 * After attempt number `item.attempts + 1` failed with `error` at `now`: dead if permanent, out of
 * attempts or older than maxAge; else a retry after {@link backoffDelay}.
 */
export function settle(
  item: Pick<QueuedItem, 'attempts' | 'enqueuedAt'>,
  error: unknown,
  tuning: ResolvedTuning,
  now: number,
  random: () => number = Math.random,
): Settlement {
  const failure = failureRecord(error, now);
  const made = item.attempts + 1;
  if (!failure.transient) return { action: 'dead', failure: { ...failure, deadReason: 'permanent' } };
  if (made >= tuning.maxAttempts) return { action: 'dead', failure: { ...failure, deadReason: 'attempts' } };
  if (now - item.enqueuedAt >= tuning.maxAgeMs) {
    return { action: 'dead', failure: { ...failure, deadReason: 'expired' } };
  }
  const retryAfterMs = (error as { retryAfterMs?: unknown })?.retryAfterMs;
  const delay = backoffDelay(made, tuning, random, typeof retryAfterMs === 'number' ? retryAfterMs : 0);
  return { action: 'retry', failure, nextAttemptAt: now + delay };
}

/** A new id: time-sortable (9 base-36 digits of ms) and unique (48 random bits), e.g. `mie0a1b2c-0f3a9c2e71d4`. */
export function newQueueId(now = Date.now()): string {
  return `${now.toString(36).padStart(9, '0')}-${randomBytes(6).toString('hex')}`;
}
