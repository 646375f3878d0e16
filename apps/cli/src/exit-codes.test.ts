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

/** A ConnectionError subclass with a name of its own, as a protocol package might define. */
class ImapCutOffError extends ConnectionError {
  constructor() {
    super('cut off', { code: 'IMAP_CUT_OFF' });
    this.name = 'ImapCutOffError';
  }
}

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('exitCodeFor', () => {
  it('keeps the documented numbers', () => {
    expect(EXIT).toEqual({ ok: 0, failure: 1, usage: 2, auth: 3, connection: 4 });
  });

  it.each([
    { what: 'ConfigError', error: new ConfigError([{ property: 'p', expected: 'x' }]), code: 2 },
    { what: 'a usage error', error: usageError('bad flag'), code: 2 },
    { what: 'TokenError', error: new TokenError('t', { code: 'TOKEN_X' }), code: 3 },
    {
      what: 'AuthenticationError',
      error: new AuthenticationError('a', { code: 'AUTH_X', protocol: 'imap' }),
      code: 3,
    },
    { what: 'ConnectionError', error: new ConnectionError('c', { code: 'CONN_X' }), code: 4 },
    { what: 'a ConnectionError subclass with its own name', error: new ImapCutOffError(), code: 4 },
    {
      what: 'a foreign error wrapping a ConnectionError',
      error: new Error('x', { cause: new ConnectionError('c', { code: 'C' }) }),
      code: 4,
    },
    {
      what: "imapflow's NoConnection (a response cut off mid-stream)",
      error: withCode('Connection not available', 'NoConnection'),
      code: 4,
    },
    { what: 'a reset socket', error: withCode('read ECONNRESET', 'ECONNRESET'), code: 4 },
    { what: 'a TLS failure', error: withCode('bad cert', 'ERR_TLS_CERT_ALTNAME_INVALID'), code: 4 },
    {
      what: 'a foreign error caused by a reset socket',
      error: new Error('x', { cause: withCode('r', 'ECONNRESET') }),
      code: 4,
    },
    { what: 'CacheError', error: new CacheError('c', { code: 'CACHE_X', backend: 'redis' }), code: 1 },
    { what: 'KalistoError', error: new KalistoError('k', { code: 'OTHER' }), code: 1 },
    {
      what: 'a KalistoError caused by a reset socket (its class decides)',
      error: new KalistoError('k', { code: 'O', cause: withCode('r', 'ECONNRESET') }),
      code: 1,
    },
    { what: 'Error', error: new Error('e'), code: 1 },
    { what: 'a thrown string', error: 'boom', code: 1 },
  ] as { what: string; error: unknown; code: number }[])('$what → exit $code', ({ error, code }) => {
    expect(exitCodeFor(error)).toBe(code);
  });

  it('survives a cyclic cause chain', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    Object.assign(a, { cause: b });
    expect(exitCodeFor(a)).toBe(1);
  });

  it('documents every code in the help text', () => {
    for (const code of Object.values(EXIT)) expect(EXIT_CODES_HELP).toContain(`  ${code}  `);
  });
});
