import { readFileSync } from 'node:fs';
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
import {
  DOCTOR_EXIT_HELP,
  EXIT,
  EXIT_CODE_TABLE,
  EXIT_CODES_HELP,
  exitCodeFor,
  exitCodesMarkdown,
  exitCodesSummary,
} from './exit-codes.js';

const readme = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');

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
    {
      what: 'an unreachable identity platform (TOKEN_NETWORK_ERROR)',
      error: new TokenError('t', { code: 'TOKEN_NETWORK_ERROR', transient: true }),
      code: 4,
    },
    {
      what: 'a token request that timed out',
      error: new TokenError('t', { code: 'TOKEN_TIMEOUT' }),
      code: 4,
    },
    {
      what: "an identity platform's untrusted certificate",
      error: new TokenError('t', { code: 'TOKEN_TLS_UNTRUSTED' }),
      code: 4,
    },
    {
      what: 'a refused token request (AADSTS7000215)',
      error: new TokenError('t', { code: 'TOKEN_INVALID_CLIENT_SECRET' }),
      code: 3,
    },
    {
      what: 'a provider the configuration names but nobody registered',
      error: new KalistoError('No protocol provider "x"', { code: 'REGISTRY_MISSING' }),
      code: 2,
    },
    {
      what: 'an unknown mail.<p>.class',
      error: new KalistoError('u', { code: 'CONFIG_UNKNOWN_CLASS' }),
      code: 2,
    },
    {
      what: 'a store protocol that is a transport',
      error: new KalistoError('w', { code: 'PROTOCOL_WRONG_TYPE' }),
      code: 2,
    },
    {
      what: 'a code that is also an Object method name',
      error: new KalistoError('k', { code: 'toString' }),
      code: 1,
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
});

describe('the exit code table', () => {
  it('has one row per code, in order', () => {
    expect(EXIT_CODE_TABLE.map((row) => row.code)).toEqual([0, 1, 2, 3, 4]);
  });

  it('is the help text', () => {
    expect(EXIT_CODES_HELP).toBe(`Exit codes:
  0  ok
  1  failure (a missing message, a token cache failure, an unexpected error)
  2  usage or configuration error (unknown option, bad value, invalid properties, unknown mail.<p>.class)
  3  authentication or token error (the identity platform or a mail server refused)
  4  connection error (DNS, TCP, TLS, the server conversation; mail servers and the identity platform)`);
    expect(DOCTOR_EXIT_HELP).toBe(
      'Exit code: that of the first failed check (1 failure, 2 usage/config, 3 token/auth, 4 connection); 0 when every check passes, warnings (!) included.',
    );
  });

  it("is the CLI README's table and the root README's summary", () => {
    expect(readme('../README.md')).toContain(`${exitCodesMarkdown()}\n`);
    expect(exitCodesSummary()).toBe('0 ok, 1 failure, 2 usage/config, 3 token/auth, 4 connection');
    expect(readme('../../../README.md')).toContain(`exit codes ${exitCodesSummary()}`);
  });
});
