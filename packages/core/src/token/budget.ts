import type { Clock, Timer } from './clock.js';
import { raceAbort } from './flights.js';

/** The time left to one token request, and the signal that aborts it when that runs out. */
export interface Budget {
  signal: AbortSignal;
  /** Milliseconds left (Infinity without a deadline). */
  remaining(): number;
}

export interface DeadlineOptions {
  /** Longest the whole request may take; `Infinity` for none (a person signing in). */
  deadlineMs: number;
  clock: Clock;
  timer: Timer;
  /** The error the request fails with when the deadline passes. */
  expired(): Error;
}

/**
 * One request's budget: aborts with `expired()` once `deadlineMs` has passed, or with `flightSignal`.
 * `stop()` cancels the timer when the request is over.
 */
export function startBudget(flightSignal: AbortSignal, options: DeadlineOptions): Budget & { stop(): void } {
  const { deadlineMs, clock, timer } = options;
  const controller = new AbortController();
  const onAbort = () => controller.abort(flightSignal.reason);
  flightSignal.addEventListener('abort', onAbort, { once: true });
  if (flightSignal.aborted) onAbort();
  const endsAt = clock.now() + deadlineMs;
  const cancel = Number.isFinite(deadlineMs)
    ? timer(deadlineMs, () => controller.abort(options.expired()))
    : () => {};
  return {
    signal: controller.signal,
    remaining: () => endsAt - clock.now(),
    stop() {
      cancel();
      flightSignal.removeEventListener('abort', onAbort);
    },
  };
}

export interface AttemptOptions {
  /** Longest one attempt may take, within the budget. */
  attemptTimeoutMs: number;
  /** An attempt that waits for a person: bounded by the budget's signal alone. */
  interactive: boolean;
  timer: Timer;
  /** The error an attempt is aborted with when it times out. */
  timedOut(): Error;
}

/**
 * One attempt of `run` within `budget`: aborted after `attemptTimeoutMs` or when the budget runs out,
 * whichever comes first (the deadline aborts it with its own error, through the budget's signal).
 */
export async function withinAttempt<T>(
  budget: Budget,
  run: (signal: AbortSignal) => Promise<T>,
  options: AttemptOptions,
): Promise<T> {
  const { signal } = budget;
  if (options.interactive) return raceAbort(run(signal), signal);
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  const cancel =
    options.attemptTimeoutMs < budget.remaining()
      ? options.timer(options.attemptTimeoutMs, () => controller.abort(options.timedOut()))
      : () => {};
  try {
    return await raceAbort(run(controller.signal), controller.signal);
  } finally {
    cancel();
    signal.removeEventListener('abort', onAbort);
  }
}
