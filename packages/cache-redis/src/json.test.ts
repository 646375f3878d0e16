import { CacheError } from '@kalisto/core';
import { describe, expect, it } from 'vitest';
import { toJson } from './json.js';

describe('toJson', () => {
  it('serialises JSON data and passes undefined through', () => {
    expect(toJson('x', { a: [1, 'b', null] })).toBe('{"a":[1,"b",null]}');
    expect(toJson('x', undefined)).toBeUndefined();
  });

  it('refuses what JSON cannot hold with a CacheError that does not show the value', () => {
    const circular: Record<string, unknown> = { accessToken: 'secret-token-value' };
    circular.self = circular;
    for (const value of [{ n: 1n, accessToken: 'secret-token-value' }, circular]) {
      let error: unknown;
      try {
        toJson('x', value);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(CacheError);
      expect((error as CacheError).code).toBe('CACHE_INVALID_VALUE');
      expect((error as Error).message).not.toContain('secret-token-value');
    }
  });
});
