import { isKalistoError } from '../errors/errors.js';

/** Bounds of a retry loop. */
export interface RetryOptions {
  /** Retries after the first attempt (so at most `retries + 1` attempts). */
  retries: number;
  /** The first backoff ceiling, ms; it doubles per retry. */
  baseMs: number;
  /** No single wait is longer than this, ms (server-suggested waits included). */
  maxMs: number;
}

/** Three attempts, waits of at most 250 ms, 500 ms (jittered), each capped at 5 s. */
export const DEFAULT_RETRY: RetryOptions = { retries: 2, baseMs: 250, maxMs: 5_000 };

/** Waits `ms`, rejecting early with the signal's reason when it aborts. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface RetryContext {
  signal?: AbortSignal | undefined;
  /** Replaceable for tests; defaults to a timer. */
  sleep?: Sleep | undefined;
  /** Replaceable for tests; defaults to `Math.random`. */
  random?: (() => number) | undefined;
  /** Which failures are worth another attempt; defaults to {@link isTransientError}. */
  isRetryable?: ((error: unknown) => boolean) | undefined;
  /**
   * What is left of the caller's overall deadline, ms. A retry whose wait would not leave time for
   * another attempt is not made: the last error is thrown at once.
   */
  remainingMs?: (() => number) | undefined;
  /** Called before each wait, e.g. to log the retry. */
  onRetry?: ((info: { attempt: number; delayMs: number; error: unknown }) => void) | undefined;
}

// Node's codes for failures of the network itself, where the same request may well succeed next time.
const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTUNREACH',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
]);

/**
 * True for failures worth retrying: a Kalisto error marked `transient` (TokenError, ConnectionError),
 * or a raw network error (connection reset/refused, timeout, DNS try-again), also when it is the
 * `cause` of a `fetch failed` TypeError. Every other Kalisto error is permanent.
 */
export function isTransientError(error: unknown): boolean {
  if (isKalistoError(error)) return (error as { transient?: unknown }).transient === true;
  for (let e: unknown = error, depth = 0; typeof e === 'object' && e !== null && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && TRANSIENT_NETWORK_CODES.has(code)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** The error's server-suggested wait (`retryAfterMs`), if it carries one. */
export function retryAfterOf(error: unknown): number | undefined {
  const value =
    typeof error === 'object' && error !== null
      ? (error as { retryAfterMs?: unknown }).retryAfterMs
      : undefined;
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/**
 * The wait before retry number `retry` (0-based): "full jitter", a uniform draw from
 * `[0, min(maxMs, baseMs·2^retry))`, unless the error names a wait (capped at `maxMs`).
 */
export function backoffDelay(
  retry: number,
  options: RetryOptions,
  random: () => number,
  error?: unknown,
): number {
  const suggested = retryAfterOf(error);
  if (suggested !== undefined) return Math.min(suggested, options.maxMs);
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** retry);
  return Math.floor(random() * ceiling);
}

/** A timer-backed {@link Sleep} that rejects with the signal's reason on abort. */
export const abortableSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/**
 * Runs `attempt` until it succeeds, fails permanently, runs out of retries or time, or the signal
 * aborts. Rejects with the last error (or the signal's reason). `attempt` receives its 0-based number.
 *
 * A server-suggested wait (an error's `retryAfterMs`, from Retry-After) is honoured, never cut
 * short: when it is longer than `maxMs` or than what is left of `remainingMs`, the error is thrown
 * at once instead of retrying early (which a throttling server would refuse again).
 */
export async function withRetry<T>(
  attempt: (n: number) => Promise<T>,
  options: RetryOptions = DEFAULT_RETRY,
  context: RetryContext = {},
): Promise<T> {
  const {
    signal,
    sleep: wait = abortableSleep,
    random = Math.random,
    isRetryable = isTransientError,
  } = context;
  const retries = Math.max(0, Math.floor(options.retries));
  for (let n = 0; ; n++) {
    signal?.throwIfAborted();
    try {
      return await attempt(n);
    } catch (error) {
      if (n >= retries || !isRetryable(error) || signal?.aborted) throw error;
      const suggested = retryAfterOf(error);
      if (suggested !== undefined && suggested > options.maxMs) throw error;
      const delayMs = backoffDelay(n, options, random, error);
      if (context.remainingMs !== undefined && delayMs >= context.remainingMs()) throw error;
      context.onRetry?.({ attempt: n + 1, delayMs, error });
      await wait(delayMs, signal);
    }
  }
}
