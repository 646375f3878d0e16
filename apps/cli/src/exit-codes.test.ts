import {
  AuthenticationError,
  CacheError,
  ConfigError,
  ConnectionError,
  KalistoError,
  TokenError,
} from '@kalisto/core';
import { describe, expect, it } from 'vitest';
import { usageError } from './errors.js';
import { EXIT, EXIT_CODES_HELP, exitCodeFor } from './exit-codes.js';

describe('exitCodeFor', () => {
  it('maps each kind of failure to its documented code', () => {
    expect(exitCodeFor(new ConfigError([{ property: 'p', expected: 'x' }]))).toBe(EXIT.usage);
    expect(exitCodeFor(usageError('bad flag'))).toBe(EXIT.usage);
    expect(exitCodeFor(new TokenError('t', { code: 'TOKEN_X' }))).toBe(EXIT.auth);
    expect(exitCodeFor(new AuthenticationError('a', { code: 'AUTH_X', protocol: 'imap' }))).toBe(EXIT.auth);
    expect(exitCodeFor(new ConnectionError('c', { code: 'CONN_X' }))).toBe(EXIT.connection);
    expect(exitCodeFor(new CacheError('c', { code: 'CACHE_X', backend: 'redis' }))).toBe(EXIT.failure);
    expect(exitCodeFor(new KalistoError('k', { code: 'OTHER' }))).toBe(EXIT.failure);
    expect(exitCodeFor(new Error('e'))).toBe(EXIT.failure);
  });

  it('documents every code in the help text', () => {
    for (const code of Object.values(EXIT)) expect(EXIT_CODES_HELP).toContain(`  ${code}  `);
  });
});
