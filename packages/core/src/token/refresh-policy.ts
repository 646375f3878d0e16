import type { CachedToken } from './cached-token.js';
import { isTransientError } from './retry.js';
import type { AccessToken } from './types.js';

/**
 * When a token obtained at `now` stops being served: `skewMs` before expiry, or half-way through its
 * lifetime when that is shorter (so a short-lived token is not refetched on every call).
 */
export function refreshTime(token: AccessToken, now: number, skewMs: number): number {
  const lifetime = Math.max(0, token.expiresAt - now);
  return token.expiresAt - Math.min(skewMs, lifetime / 2);
}

/** Whether `entry` is still served as it is: before its refresh time, and never once expired. */
export function isServable(entry: CachedToken | undefined, now: number): entry is CachedToken {
  return entry !== undefined && now < entry.refreshAt && now < entry.token.expiresAt;
}

/**
 * Whether a refresh that failed with `error` may fall back to the token held before it: only for a
 * transient failure, never for a forced refresh (the server refused that token) and never once the
 * token has expired.
 */
export function keepsServingAfter(
  error: unknown,
  held: CachedToken | undefined,
  now: number,
  forced: boolean,
): held is CachedToken {
  return !forced && held !== undefined && isTransientError(error) && now < held.token.expiresAt;
}
