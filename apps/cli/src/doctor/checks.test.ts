import { AuthenticationError, ConfigError, ConnectionError, TokenError } from '@kalisto/core';
import { describe, expect, it } from 'vitest';
import { tokenCacheFinding } from './cache.js';
import { type Check, type CheckResult, problemAndFix, runChecks } from './checks.js';

const ok = (id: string, needs: string[] = []): Check => ({
  id,
  title: id.toUpperCase(),
  needs,
  run: async () => `${id} fine`,
});
const failing = (id: string, error: unknown, needs: string[] = []): Check => ({
  id,
  title: id.toUpperCase(),
  needs,
  run: async () => {
    throw error;
  },
});

describe('runChecks', () => {
  it('skips the checks whose prerequisites failed or were skipped, and still runs the independent ones', async () => {
    const seen: CheckResult[] = [];
    const refused = new ConnectionError('Cannot connect.', {
      code: 'DOCTOR_TCP_FAILED',
      hint: 'Open the port.',
    });
    const results = await runChecks(
      [
        ok('dns'),
        failing('tcp', refused, ['dns']),
        ok('tls', ['tcp']),
        ok('login', ['tls']),
        ok('other', ['dns']),
      ],
      (r) => seen.push(r),
    );
    expect(seen).toEqual(results);
    expect(results.map((r) => [r.id, r.status])).toEqual([
      ['dns', 'ok'],
      ['tcp', 'failed'],
      ['tls', 'skipped'],
      ['login', 'skipped'],
      ['other', 'ok'],
    ]);
    expect(results[1]).toMatchObject({
      problem: 'Cannot connect.',
      fix: 'Open the port.',
      code: 'DOCTOR_TCP_FAILED',
      exitCode: 4,
    });
    expect(results[2]?.detail).toBe('skipped: needs TCP');
    expect(results[3]?.detail).toBe('skipped: needs TLS');
    expect(results[4]?.detail).toBe('other fine');
  });

  it('gives each failure the exit code of its kind', async () => {
    const results = await runChecks(
      [
        failing('config', new ConfigError([{ property: 'o365.oauth.tenant', expected: 'a tenant' }])),
        failing('token', new TokenError('Refused.', { code: 'TOKEN_INVALID_CLIENT_SECRET' })),
        failing('login', new AuthenticationError('No.', { code: 'AUTH_TOKEN_REJECTED', protocol: 'imap' })),
        failing('bug', new Error('unexpected')),
      ],
      () => undefined,
    );
    expect(results.map((r) => r.exitCode)).toEqual([2, 3, 3, 1]);
  });
});

describe('warnings', () => {
  it('are printed with their fix, do not fail, and do not hold back the checks that need them', async () => {
    const results = await runChecks(
      [
        {
          id: 'cache',
          title: 'Token cache',
          needs: [],
          run: async () => ({
            warning: 'In clear.',
            fix: 'Add a key.',
            code: 'CACHE_UNENCRYPTED',
            detail: 'redis',
          }),
        },
        ok('token', ['cache']),
      ],
      () => undefined,
    );
    expect(results).toEqual([
      {
        id: 'cache',
        title: 'Token cache',
        status: 'warning',
        detail: 'redis',
        problem: 'In clear.',
        fix: 'Add a key.',
        code: 'CACHE_UNENCRYPTED',
      },
      { id: 'token', title: 'TOKEN', status: 'ok', detail: 'token fine' },
    ]);
  });
});

describe('tokenCacheFinding', () => {
  const backend = (name: string, encrypted?: boolean) => {
    const entries = new Map<string, unknown>();
    return {
      name,
      ...(encrypted === undefined ? {} : { encrypted }),
      get: async <T>(key: string) => entries.get(key) as T | undefined,
      set: async (key: string, value: unknown) => void entries.set(key, value),
      delete: async (key: string) => void entries.delete(key),
    };
  };

  it('warns, naming the option and the environment variable, when the backend keeps tokens in clear', () => {
    expect(tokenCacheFinding(backend('redis', false))).toEqual({
      detail: 'redis, tokens in clear',
      warning: expect.stringContaining('stores access and refresh tokens in clear'),
      fix: expect.stringMatching(/encryptionKey option.*KALISTO_CACHE_KEY/),
      code: 'CACHE_UNENCRYPTED',
    });
  });

  it('passes an encrypted backend, one that does not say, and no cache at all', () => {
    expect(tokenCacheFinding(backend('file', true))).toBe('file, tokens encrypted at rest');
    expect(tokenCacheFinding(backend('memory'))).toBe('memory');
    expect(tokenCacheFinding(undefined)).toBe('none: tokens stay in this process');
  });
});

describe('problemAndFix', () => {
  it('takes the hint out of a message that ends with it', () => {
    const error = new TokenError('[token:msal] Refused (AADSTS7000215). Use the Value. Server said: bad.', {
      code: 'TOKEN_INVALID_CLIENT_SECRET',
      hint: 'Use the Value.',
    });
    expect(problemAndFix(error)).toEqual({
      problem: '[token:msal] Refused (AADSTS7000215). Server said: bad.',
      fix: 'Use the Value.',
      code: 'TOKEN_INVALID_CLIENT_SECRET',
    });
  });

  it('keeps a message that does not contain its hint, and handles foreign errors', () => {
    expect(problemAndFix(new ConnectionError('Down.', { code: 'X', hint: 'Retry.' }))).toEqual({
      problem: 'Down.',
      fix: 'Retry.',
      code: 'X',
    });
    expect(problemAndFix(new Error('plain'))).toEqual({ problem: 'plain', fix: undefined, code: undefined });
  });
});
