import { MAX_SCRUBBED_TEXT_LENGTH } from '../logging/redactor.js';

/** A `Headers` instance or a plain record (any case; Node's `string[]` values allowed). */
export type HeadersLike =
  | { get(name: string): string | null }
  | Readonly<Record<string, string | readonly string[] | undefined>>;

/** A run of JWT characters (base64url and dots); each is looked at once, so the work stays linear. */
const JWT_RUN = /[A-Za-z0-9_.-]+/g;
const LONG_OPAQUE = /[A-Za-z0-9+/_-]{64,}={0,2}/g;

/** A run holding `eyJ…` followed by two more dot-separated parts: a JWT, whatever surrounds it. */
function holdsJwt(run: string): boolean {
  const start = run.indexOf('eyJ');
  if (start < 0) return false;
  const firstDot = run.indexOf('.', start);
  return firstDot > 0 && run.indexOf('.', firstDot + 1) > 0;
}

/**
 * Removes anything that could be a token from a server text: JWTs and long base64 runs (e.g. a
 * XOAUTH2 payload echoed back in an error) become `[redacted]`. Text over
 * {@link MAX_SCRUBBED_TEXT_LENGTH} is cut first (a server may send megabytes), so the work is bounded.
 */
export function scrubTokenLike(text: string): string {
  const kept = text.length > MAX_SCRUBBED_TEXT_LENGTH ? `${text.slice(0, MAX_SCRUBBED_TEXT_LENGTH)}…` : text;
  return kept
    .replace(JWT_RUN, (run) => (holdsJwt(run) ? '[redacted]' : run))
    .replace(LONG_OPAQUE, '[redacted]');
}

/**
 * An HTTP `Retry-After` value (delay-seconds or an HTTP date) in ms from `now`; undefined when absent
 * or unreadable. A date in the past gives 0.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  const trimmed = value?.trim();
  if (!trimmed) return undefined;
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  if (!/[a-z]/i.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Looks up a header in a `Headers` instance or a plain record, case-insensitively. */
export function headerValue(headers: HeadersLike | undefined, name: string): string | undefined {
  if (headers === undefined) return undefined;
  if (typeof headers.get === 'function') return headers.get(name) ?? undefined;
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(headers as Record<string, unknown>)) {
    if (key.toLowerCase() !== lower) continue;
    if (typeof value === 'string') return value;
    if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  }
  return undefined;
}

/** A non-empty string field, transformed; undefined otherwise. */
export function stringField(value: unknown, transform: (s: string) => string = (s) => s): string | undefined {
  return typeof value === 'string' && value !== '' ? transform(value) : undefined;
}

/** The first line of a text. */
export function firstLine(text: string): string {
  return text.split(/\r?\n/, 1)[0] ?? '';
}
