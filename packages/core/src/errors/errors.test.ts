import { describe, expect, it } from 'vitest';
import { Secret } from '../config/secret.js';
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

describe('ConfigError: the values it shows', () => {
  const shown = (error: ConfigError) => `${error.message}\n${JSON.stringify(error)}`;

  it('hides a value that holds a secret property name followed by = or :, and says why', () => {
    const error = new ConfigError([
      { property: 'mail.imaps.port', value: '993o365.oauth.clientSecret=s3cr3t-joined', expected: 'a port' },
      { property: 'mail.smtp.host', value: 'h o365.pasword: hunter22', expected: 'a host' },
      { property: 'mail.imap.port', value: 'https://x:8080', expected: 'a port' },
    ]);
    expect(error.issues.map((i) => i.value)).toEqual(['***', '***', 'https://x:8080']);
    expect(error.issues[0]?.expected).toContain('o365.oauth.clientSecret followed by = or :');
    expect(error.issues[0]?.expected).toContain('stray \\');
    expect(shown(error)).not.toMatch(/s3cr3t-joined|hunter22/);
  });

  it('hides a value that contains one of the secrets it is given, and any secret property value but a reference', () => {
    const error = new ConfigError(
      [
        { property: 'mail.imap.user', value: 'x-known-secret-y', expected: 'a user' },
        { property: 'o365.oauth.clientSecert', value: 'typo-secret', expected: 'nothing' },
        { property: 'o365.password', value: 'env:O365_PASSWORD', expected: 'the variable to be set' },
      ],
      { secrets: [new Secret('known-secret'), undefined, 'ab'] },
    );
    expect(error.issues.map((i) => i.value)).toEqual(['***', '***', 'env:O365_PASSWORD']);
    expect(shown(error)).not.toMatch(/known-secret|typo-secret/);
  });

  it('cuts a long value and escapes control characters in the message', () => {
    const error = new ConfigError([
      { property: 'mail.imap.host', value: `${'a'.repeat(10_000)}`, expected: 'a host' },
      { property: 'o365.user\u001b[2J', value: 'a\u007fb\u009bc', expected: 'a user' },
    ]);
    expect(error.issues[0]?.value).toBe(`${'a'.repeat(256)}…(10000 characters)`);
    expect(error.message.length).toBeLessThan(1000);
    expect(error.message).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(error.message).toContain('o365.user\\u001b[2J');
  });
});
