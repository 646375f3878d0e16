/** Token-shaped values of a realistic size, as the token manager caches them. */
import { randomBytes } from 'node:crypto';

/** An Exchange Online access token is about 1.5 KB of base64url (1,125 random bytes encode to 1,500 characters). */
const TOKEN_BYTES = 1_125;

/**
 * A distinct, flat token-like string. Random content on purpose: `'x'.repeat(n)` would build a
 * rope V8 shares between strings, and the heap benchmark would count far less than real tokens take.
 */
export function fakeAccessToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/** What the token manager stores under a cache key: the token and when it stops being served. */
export function cachedTokenEntry() {
  const now = Date.now();
  return {
    token: {
      accessToken: fakeAccessToken(),
      expiresAt: now + 3_600_000,
      scopes: ['https://outlook.office365.com/.default'],
    },
    refreshAt: now + 3_300_000,
  };
}
