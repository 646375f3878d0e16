import { describe, expect, it } from 'vitest';
import { ACCESS_TOKEN, NOW, XOAUTH2_PAYLOAD } from '../../test/classify-fixtures.js';
import { headerValue, parseRetryAfter, scrubTokenLike } from './server-text.js';

describe('parseRetryAfter', () => {
  it.each([
    ['120', 120_000],
    [' 0 ', 0],
    [new Date(NOW + 90_000).toUTCString(), 90_000],
    [new Date(NOW - 90_000).toUTCString(), 0],
    ['soon', undefined],
    ['-5', undefined],
    ['1.5', undefined],
    ['', undefined],
    [undefined, undefined],
    [null, undefined],
  ])('%j → %j', (value, expected) => {
    expect(parseRetryAfter(value, NOW)).toBe(expected);
  });

  it('finds the header in Headers, plain records (any case) and Node arrays', () => {
    expect(headerValue(new Headers({ 'retry-after': '3' }), 'Retry-After')).toBe('3');
    expect(headerValue({ 'RETRY-AFTER': '4' }, 'retry-after')).toBe('4');
    expect(headerValue({ 'retry-after': ['5', '6'] }, 'Retry-After')).toBe('5');
    expect(headerValue({}, 'Retry-After')).toBeUndefined();
    expect(headerValue(undefined, 'Retry-After')).toBeUndefined();
  });
});

describe('scrubTokenLike', () => {
  it('scrubTokenLike leaves ordinary server texts alone', () => {
    const text =
      '535 5.7.139 Authentication unsuccessful [BN0PR04CA0123.namprd04.prod.outlook.com 2026-11-29T06:00:00.000Z]';
    expect(scrubTokenLike(text)).toBe(text);
    expect(scrubTokenLike(`x ${ACCESS_TOKEN} y ${XOAUTH2_PAYLOAD}`)).toBe('x [redacted] y [redacted]');
  });

  it.each([
    ['a', 'a'.repeat(8 * 1024 * 1024)],
    ['eyJ', 'eyJ'.repeat(3 * 1024 * 1024)],
    ['eyJ-', 'eyJ-'.repeat(2 * 1024 * 1024)],
  ])('scrubTokenLike bounds an 8 MB server text of %s (no RangeError, no quadratic scan)', (_name, text) => {
    const scrubbed = scrubTokenLike(text);
    expect(scrubbed.length).toBeLessThanOrEqual(64 * 1024 + 1);
  });

  it('scrubTokenLike finds a JWT inside a longer run and leaves dotted host names alone', () => {
    expect(scrubTokenLike(`token=${ACCESS_TOKEN};`)).toBe('token=[redacted];');
    expect(scrubTokenLike('BN0PR04CA0123.namprd04.prod.outlook.com')).toBe(
      'BN0PR04CA0123.namprd04.prod.outlook.com',
    );
  });
});
