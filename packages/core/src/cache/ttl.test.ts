import { describe, expect, it } from 'vitest';
import { CacheError } from '../errors/errors.js';
import { checkCacheTtl } from './ttl.js';

describe('checkCacheTtl', () => {
  it('returns a positive TTL rounded up to whole milliseconds', () => {
    expect(checkCacheTtl('x', 60_000)).toBe(60_000);
    expect(checkCacheTtl('x', 0.2)).toBe(1);
    expect(checkCacheTtl('x', 1500.5)).toBe(1501);
  });

  it('rejects zero, negative, infinite, NaN and non-numbers as CACHE_INVALID_TTL naming the backend', () => {
    for (const ttl of [0, -1, Number.POSITIVE_INFINITY, Number.NaN, '60' as unknown as number]) {
      expect(() => checkCacheTtl('mine', ttl)).toThrow(
        expect.objectContaining({
          constructor: CacheError,
          code: 'CACHE_INVALID_TTL',
          backend: 'mine',
          message: expect.stringMatching(/^\[cache:mine\] TTL must be a positive number/),
        }),
      );
    }
  });
});
