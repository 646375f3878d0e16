import { describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  CacheError,
  ConfigError,
  ConnectionError,
  isKalistoError,
  KalistoError,
  TokenError,
} from './errors.js';

describe('isKalistoError', () => {
  it('recognises every class', () => {
    const errors = [
      new KalistoError('x', { code: 'X' }),
      new ConfigError([{ property: 'o365.user', expected: 'an address' }]),
      new TokenError('x', { code: 'TOKEN_X' }),
      new AuthenticationError('x', { code: 'AUTH_X', protocol: 'imap' }),
      new ConnectionError('x', { code: 'CONN_X' }),
      new CacheError('x', { code: 'CACHE_X', backend: 'redis' }),
    ];
    for (const error of errors) expect(isKalistoError(error)).toBe(true);
  });

  it('recognises an error of a second installed copy of core by its Symbol.for brand', () => {
    // Another copy has its own classes (instanceof fails) but registers the same global symbol.
    const fromOtherCopy = Object.assign(new Error('x'), { code: 'X' });
    Object.defineProperty(fromOtherCopy, Symbol.for('kalisto.error'), { value: true });
    expect(fromOtherCopy instanceof KalistoError).toBe(false);
    expect(isKalistoError(fromOtherCopy)).toBe(true);
    expect(isKalistoError({ [Symbol.for('kalisto.error')]: true })).toBe(true);
  });

  it('rejects look-alikes', () => {
    expect(isKalistoError(Object.assign(new Error('x'), { code: 'X' }))).toBe(false);
    expect(isKalistoError({ [Symbol('kalisto.error')]: true })).toBe(false);
    expect(isKalistoError({ [Symbol.for('kalisto.error')]: 'yes' })).toBe(false);
    expect(isKalistoError(null)).toBe(false);
    expect(isKalistoError('kalisto.error')).toBe(false);
  });
});

describe('error fields', () => {
  it('default transient per class: connections yes, authentication and tokens no', () => {
    expect(new ConnectionError('x', { code: 'C' }).transient).toBe(true);
    expect(new AuthenticationError('x', { code: 'A', protocol: 'smtp' }).transient).toBe(false);
    expect(new AuthenticationError('x', { code: 'A', protocol: 'imap', transient: true }).transient).toBe(
      true,
    );
    expect(new TokenError('x', { code: 'T' }).transient).toBe(false);
  });

  it('serialise to JSON with name, code, message and fields, without the cause', () => {
    const cause = new Error('password=hunter2');
    const error = new TokenError('[token] failed', {
      code: 'TOKEN_X',
      hint: 'do this',
      aadsts: '50126',
      description: 'AADSTS50126: bad password',
      cause,
    });
    expect(error.cause).toBe(cause);
    const json = JSON.parse(JSON.stringify(error));
    expect(json).toMatchObject({
      name: 'TokenError',
      code: 'TOKEN_X',
      message: '[token] failed',
      hint: 'do this',
      aadsts: '50126',
      description: 'AADSTS50126: bad password',
    });
    expect(JSON.stringify(error)).not.toContain('hunter2');
  });
});
