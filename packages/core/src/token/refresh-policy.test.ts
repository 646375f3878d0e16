import { describe, expect, it } from 'vitest';
import { TokenError } from '../errors/errors.js';
import { isServable, keepsServingAfter, refreshTime } from './refresh-policy.js';

const token = { accessToken: 'a', expiresAt: 10_000, scopes: [] };
const held = { token, refreshAt: 8_000 };
const transient = new TokenError('[token:x] down', { code: 'TOKEN_NETWORK', transient: true });
const permanent = new TokenError('[token:x] bad secret', { code: 'TOKEN_INVALID_CLIENT_SECRET' });

describe('refresh policy', () => {
  it('refreshes skew before expiry, or half-way through a short life', () => {
    expect(refreshTime(token, 0, 2_000)).toBe(8_000);
    expect(refreshTime(token, 9_000, 2_000)).toBe(9_500);
  });

  it('serves a token until its refresh time, and never once expired', () => {
    expect(isServable(held, 7_999)).toBe(true);
    expect(isServable(held, 8_000)).toBe(false);
    expect(isServable({ token, refreshAt: 20_000 }, 10_000)).toBe(false);
    expect(isServable(undefined, 0)).toBe(false);
  });

  it('keeps serving the held token after a transient failure only, not forced, not expired', () => {
    expect(keepsServingAfter(transient, held, 9_000, false)).toBe(true);
    expect(keepsServingAfter(permanent, held, 9_000, false)).toBe(false);
    expect(keepsServingAfter(transient, held, 9_000, true)).toBe(false);
    expect(keepsServingAfter(transient, held, 10_000, false)).toBe(false);
    expect(keepsServingAfter(transient, undefined, 9_000, false)).toBe(false);
  });
});
