import { randomUUID } from 'node:crypto';
import type { TokenError } from '@kalisto/core';
import type { TokenProvider } from '@kalisto/core/plugin';
import type { Sandbox } from '@kalisto/sandbox';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { msalTokenProvider } from '../src/index.js';
import {
  APP_SCOPE,
  IMAP_SCOPE,
  publicAppProperties,
  recordingLogger,
  sandboxConfig,
  startTestSandbox,
} from './support.js';

const DAY = 86_400_000;
let now = Date.now();
let sandbox: Sandbox;
const open: TokenProvider[] = [];

beforeAll(async () => {
  sandbox = await startTestSandbox({ mail: false, clock: () => now });
});
afterEach(async () => {
  for (const provider of open.splice(0)) await provider.close?.();
  sandbox.hooks.clearFaults();
});
afterAll(async () => {
  await sandbox?.stop();
});

const logger = recordingLogger();

function provider(overrides: Record<string, string>): TokenProvider {
  const created = msalTokenProvider({ noProxy: '' }).create({
    config: sandboxConfig(sandbox, overrides),
    cache: undefined,
    logger,
  });
  open.push(created);
  return created;
}

/** The provider's failure, checked to carry no secret of the configuration (nor to have logged one). */
async function failure(p: TokenProvider, scopes: string[], secrets: readonly string[]): Promise<TokenError> {
  const error = await p.getToken({ scopes }).then(
    () => undefined,
    (e: unknown) => e as TokenError,
  );
  expect(error?.name).toBe('TokenError');
  const text = `${error?.message} ${error?.hint} ${JSON.stringify(error)}`;
  const logged = JSON.stringify(logger.lines);
  for (const secret of secrets) {
    expect(text).not.toContain(secret);
    expect(logged).not.toContain(secret);
  }
  return error as TokenError;
}

describe('msal provider: identity platform errors become TokenErrors with the AADSTS code and a fix', () => {
  it('7000215 bad client secret (the secret ID pasted instead of its value)', async () => {
    const { secretId, secret } = sandbox.fixtures.confidentialApp;
    const error = await failure(
      provider({ 'o365.oauth.clientSecret': secretId }),
      [APP_SCOPE],
      [secretId, secret],
    );
    expect(error).toMatchObject({
      code: 'TOKEN_INVALID_CLIENT_SECRET',
      aadsts: '7000215',
      oauthError: 'invalid_client',
      status: 401,
      transient: false,
      provider: 'msal',
      traceId: expect.any(String),
      correlationId: expect.any(String),
    });
    expect(error.hint).toMatch(/Value, not its ID/);
  });

  it('7000222 expired client secret', async () => {
    const { expiredSecret } = sandbox.fixtures.confidentialApp;
    const error = await failure(
      provider({ 'o365.oauth.clientSecret': expiredSecret }),
      [APP_SCOPE],
      [expiredSecret],
    );
    expect(error).toMatchObject({ code: 'TOKEN_CLIENT_SECRET_EXPIRED', aadsts: '7000222' });
    expect(error.hint).toMatch(/new client secret/);
  });

  it('90002 unknown tenant', async () => {
    const error = await failure(provider({ 'o365.oauth.tenant': 'nowhere.example' }), [APP_SCOPE], []);
    expect(error).toMatchObject({ code: 'TOKEN_TENANT_NOT_FOUND', aadsts: '90002' });
    expect(error.hint).toMatch(/o365\.oauth\.tenant/);
  });

  it('700016 unknown application', async () => {
    const error = await failure(provider({ 'o365.oauth.clientId': randomUUID() }), [APP_SCOPE], []);
    expect(error).toMatchObject({ code: 'TOKEN_APP_NOT_FOUND', aadsts: '700016' });
    expect(error.hint).toMatch(/o365\.oauth\.clientId/);
  });

  it('50126 bad password', async () => {
    const { adele } = sandbox.fixtures.users;
    const wrong = 'Not-The-Password-1!';
    const p = provider({ ...publicAppProperties(sandbox, 'password', adele.upn), 'o365.password': wrong });
    const error = await failure(p, [IMAP_SCOPE], [wrong, adele.password]);
    expect(error).toMatchObject({ code: 'TOKEN_INVALID_CREDENTIALS', aadsts: '50126' });
  });

  it('50076 MFA required: the password grant cannot do MFA, the hint names the alternatives', async () => {
    const { isaiah } = sandbox.fixtures.users;
    const p = provider({
      ...publicAppProperties(sandbox, 'password', isaiah.upn),
      'o365.password': isaiah.password,
    });
    const error = await failure(p, [IMAP_SCOPE], [isaiah.password]);
    expect(error).toMatchObject({ code: 'TOKEN_MFA_REQUIRED', aadsts: '50076' });
    expect(error.hint).toMatch(/device code/);
  });

  it('65001 no admin consent', async () => {
    const { adele } = sandbox.fixtures.users;
    const p = provider({
      ...publicAppProperties(sandbox, 'password', adele.upn),
      'o365.oauth.clientId': sandbox.fixtures.unconsentedApp.clientId,
      'o365.password': adele.password,
    });
    const error = await failure(p, [IMAP_SCOPE], [adele.password]);
    expect(error).toMatchObject({ code: 'TOKEN_CONSENT_REQUIRED', aadsts: '65001' });
    expect(error.hint).toMatch(/Grant admin consent/);
  });

  it('70011 invalid delegated scope, 1002012 a delegated scope with client credentials', async () => {
    const { adele } = sandbox.fixtures.users;
    const p = provider({
      ...publicAppProperties(sandbox, 'password', adele.upn),
      'o365.password': adele.password,
    });
    const delegated = await failure(p, ['https://outlook.office.com/Bogus.All'], [adele.password]);
    expect(delegated).toMatchObject({ code: 'TOKEN_INVALID_SCOPE', aadsts: '70011' });
    const appOnly = await failure(provider({}), [IMAP_SCOPE], []);
    expect(appOnly).toMatchObject({ code: 'TOKEN_INVALID_SCOPE', aadsts: '1002012' });
    expect(appOnly.hint).toMatch(/\.default/);
  });

  it('a revoked refresh token (50173) and an expired one (700082): sign in again', async () => {
    const { adele, megan } = sandbox.fixtures.users;
    const refreshTokenOf = async (user: { upn: string; password: string }) => {
      const seed = provider({
        ...publicAppProperties(sandbox, 'password', user.upn),
        'o365.password': user.password,
      });
      await seed.getToken({ scopes: [IMAP_SCOPE] });
      return (
        [...sandbox.state.refreshTokens.entries()].filter(([, r]) => r.upn === user.upn).at(-1)?.[0] ?? ''
      );
    };

    const revoked = await refreshTokenOf(megan);
    sandbox.hooks.revokeUser(megan.upn);
    const p1 = msalTokenProvider({ noProxy: '', refreshToken: revoked }).create({
      config: sandboxConfig(sandbox, publicAppProperties(sandbox, 'refresh_token', megan.upn)),
      cache: undefined,
      logger: recordingLogger(),
    });
    open.push(p1);
    const revokedError = await failure(p1, [IMAP_SCOPE], [revoked]);
    expect(revokedError).toMatchObject({ code: 'TOKEN_REFRESH_EXPIRED', aadsts: '50173' });
    expect(revokedError.hint).toMatch(/Sign in again/);

    const expiring = await refreshTokenOf(adele);
    const p2 = msalTokenProvider({ noProxy: '', refreshToken: expiring }).create({
      config: sandboxConfig(sandbox, publicAppProperties(sandbox, 'refresh_token', adele.upn)),
      cache: undefined,
      logger: recordingLogger(),
    });
    open.push(p2);
    now += 91 * DAY;
    try {
      const expired = await failure(p2, [IMAP_SCOPE], [expiring]);
      expect(expired).toMatchObject({ code: 'TOKEN_REFRESH_EXPIRED', aadsts: '700082' });
    } finally {
      now = Date.now();
    }
  });

  it('503 with Retry-After is transient with the wait, and MSAL does not throttle the retry', async () => {
    const p = provider({});
    sandbox.hooks.injectFault({ status: 503, retryAfterSeconds: 2 });
    const error = await failure(p, [APP_SCOPE], []);
    expect(error).toMatchObject({ transient: true, status: 503, retryAfterMs: 2000 });
    const token = await p.getToken({ scopes: [APP_SCOPE] });
    expect(token.accessToken).not.toBe('');
  });

  it('429 is transient and marked as throttling', async () => {
    const p = provider({});
    sandbox.hooks.injectFault({ status: 429, retryAfterSeconds: 1 });
    const error = await failure(p, [APP_SCOPE], []);
    expect(error).toMatchObject({ transient: true, status: 429, retryAfterMs: 1000 });
  });

  it('a dropped connection is a transient network error', async () => {
    const p = provider({});
    sandbox.hooks.injectFault({ drop: true });
    const error = await failure(p, [APP_SCOPE], []);
    expect(error).toMatchObject({ code: 'TOKEN_NETWORK_ERROR', transient: true });
  });
});
