/**
 * When a Graph request is tried again, and after how long: pure, so that every rule is tested
 * without a server. The client (graph-client.ts) applies it.
 */

/** Statuses Graph answers before doing anything: the same request may be sent again, even a POST. */
const REJECTED_UNPROCESSED = new Set([429, 503]);
/** Statuses of a gateway that may or may not have passed the request on: only idempotent ones retry. */
const GATEWAY_FAILURES = new Set([502, 504]);

/** Waits without a Retry-After: full jitter, doubling from 1 s, at most 30 s. */
const BACKOFF = { baseMs: 1_000, maxMs: 30_000 } as const;

/**
 * `Retry-After` in ms: delta-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or
 * unreadable. A date in the past is 0.
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP date names its day and month; Date.parse would also take "-3" as a year.
  const date = /[a-z]{3}/i.test(text) ? Date.parse(text) : Number.NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** What went wrong with one attempt, and what the loop has spent so far. */
export interface RetryInput {
  /** The HTTP status, when a reply came. */
  status?: number | undefined;
  /** A transport failure (reset, refused, timeout) instead of a reply. */
  networkError?: boolean | undefined;
  /**
   * The request may be repeated without a second effect (GET, PATCH of a flag, DELETE, an upload
   * range). A POST (send, create, move) is repeated only after a 429 or 503, when Graph did nothing.
   */
  idempotent: boolean;
  /** The server's `Retry-After`, ms. */
  retryAfterMs?: number | undefined;
  /** Retries made so far (0 before the first retry). */
  retries: number;
  /** Time already spent waiting to retry, ms. */
  waitedMs: number;
  /** `mail.graph.maxRetries`. */
  maxRetries: number;
  /** `mail.graph.retryBudget`, ms. */
  budgetMs: number;
  random?: (() => number) | undefined;
}

export type RetryDecision =
  | { retry: true; delayMs: number }
  | {
      retry: false;
      /** `final`: not worth retrying; `attempts`: maxRetries used; `budget`: the wait does not fit the budget. */
      reason: 'final' | 'attempts' | 'budget';
    };

/** Whether the failure is worth another attempt at all (before counting retries and time). */
export function isRetryableFailure(
  input: Pick<RetryInput, 'status' | 'networkError' | 'idempotent'>,
): boolean {
  if (input.status !== undefined && REJECTED_UNPROCESSED.has(input.status)) return true;
  if (!input.idempotent) return false;
  return input.networkError === true || (input.status !== undefined && GATEWAY_FAILURES.has(input.status));
}

/**
 * Retry or not, and the wait. A server-named wait is honoured in full, never cut short: when it
 * does not fit what is left of the budget the request fails at once (the error carries the wait),
 * rather than retrying early into another refusal.
 */
export function retryDecision(input: RetryInput): RetryDecision {
  if (!isRetryableFailure(input)) return { retry: false, reason: 'final' };
  if (input.retries >= input.maxRetries) return { retry: false, reason: 'attempts' };
  const random = input.random ?? Math.random;
  const delayMs =
    input.retryAfterMs ?? Math.floor(random() * Math.min(BACKOFF.maxMs, BACKOFF.baseMs * 2 ** input.retries));
  if (input.waitedMs + delayMs > input.budgetMs) return { retry: false, reason: 'budget' };
  return { retry: true, delayMs };
}
