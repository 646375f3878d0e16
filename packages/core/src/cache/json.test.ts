import { describe, expect, it } from 'vitest';
import { CacheError } from '../errors/errors.js';
import { toCacheJson } from './json.js';

describe('toCacheJson', () => {
  it('serialises JSON data and passes undefined through', () => {
    expect(toCacheJson('x', { a: [1, 'b', null] })).toBe('{"a":[1,"b",null]}');
    expect(toCacheJson('x', undefined)).toBeUndefined();
  });

  it('refuses what JSON cannot hold with a CacheError that does not show the value', () => {
    const circular: Record<string, unknown> = { accessToken: 'secret-token-value' };
    circular.self = circular;
    for (const value of [{ n: 1n, accessToken: 'secret-token-value' }, circular]) {
      const store = () => toCacheJson('x', value);
      expect(store).toThrow(
        expect.objectContaining({ constructor: CacheError, code: 'CACHE_INVALID_VALUE', backend: 'x' }),
      );
      expect(store).toThrow(/^\[cache:x\] The value cannot be stored as JSON: /);
      expect(store).toThrow(
        expect.objectContaining({ message: expect.not.stringContaining('secret-token-value') }),
      );
    }
  });
});
