import { randomUUID } from 'node:crypto';
import type { CacheBackend, TokenError } from '@kalisto/core';
import { createTokenManager, type TokenProvider } from '@kalisto/core/plugin';
import type { Sandbox } from '@kalisto/sandbox';
import { type ConnectProxy, startConnectProxy } from '@kalisto/test-support';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type OAuth2TokenProviderOptions, oauth2TokenProvider } from '../src/index.js';
import {
  APP_SCOPE,
  claimsOf,
  IMAP_SCOPE,
  imapLogin,
  publicAppProperties,
  recordingLogger,
  sandboxConfig,
  startTestSandbox,
} from './support.js';

const DAY = 86_400_000;
let now = Date.now();
let sandbox: Sandbox;
let proxy: ConnectProxy;
const open: TokenProvider[] = [];

beforeAll(async () => {
  sandbox = await startTestSandbox({ mail: true, clock: () => now });
  proxy = await startConnectProxy();
});
afterEach(async () => {
  for (const provider of open.splice(0)) await provider.close?.();
  sandbox.hooks.resetRequestCounts();
  sandbox.hooks.clearFaults();
});
afterAll(async () => {
  await proxy?.close();
  await sandbox?.stop();
});

function provider(
  overrides: Record<string, string> = {},
  options: OAuth2TokenProviderOptions = {},
  cache: CacheBackend | undefined = undefined,
): TokenProvider {
  const created = oauth2TokenProvider({ noProxy: '', ...options }).create({
    config: sandboxConfig(sandbox, overrides),
    cache,
    logger: recordingLogger(),
  });
  open.push(created);
  return created;
}

/** A Map-backed cache backend shared by the providers of one test; `stored()` lists the refresh tokens in it. */
function mapCache(): CacheBackend & { stored(): string[] } {
  const entries = new Map<string, unknown>();
  return {
    name: 'map',
    get: async <T>(key: string) => entries.get(key) as T | undefined,
    set: async (key, value) => void entries.set(key, value),
    delete: async (key) => void entries.delete(key),
    stored: () => [...entries.values()].map((v) => (v as { refreshToken: string }).refreshToken),
  };
}

/** A refresh token from a password sign-in without a cache, as another tool would hand one over. */
async function importedRefreshToken(user: { upn: string; password: string }): Promise<string> {
  const seed = provider({
    ...publicAppProperties(sandbox, 'password', user.upn),
    'o365.password': user.password,
  });
  await seed.getToken({ scopes: [IMAP_SCOPE, 'offline_access'] });
  return refreshTokensOf(user.upn).at(-1) ?? '';
}

/** The refresh tokens the sandbox issued to `upn`, oldest first. */
function refreshTokensOf(upn: string): string[] {
  return [...sandbox.state.refreshTokens.entries()].filter(([, r]) => r.upn === upn).map(([token]) => token);
}

async function failure(p: TokenProvider, scopes: string[], secrets: readonly string[]): Promise<TokenError> {
  const error = (await p.getToken({ scopes }).then(
    () => undefined,
    (e: unknown) => e,
  )) as TokenError;
  expect(error?.name).toBe('TokenError');
  const text = `${error.message} ${error.hint} ${JSON.stringify(error)}`;
  for (const secret of secrets) expect(text).not.toContain(secret);
  return error;
}

describe('oauth2 provider against the sandbox (o365.oauth.url)', () => {
  it('client_credentials: an app-only token the IMAP server accepts', async () => {
    const requests: string[] = [];
    const token = await provider({}, { onRequest: (r) => requests.push(r.url) }).getToken({
      scopes: [APP_SCOPE],
    });
    expect(claimsOf(token.accessToken)).toMatchObject({
      appid: sandbox.fixtures.confidentialApp.clientId,
      roles: expect.arrayContaining(['IMAP.AccessAsApp']),
    });
    expect(token.account).toBeUndefined();
    expect(requests).toEqual([sandbox.endpoints.tokenUrl]);
    expect(await imapLogin(sandbox, sandbox.fixtures.users.adele.upn, token.accessToken)).toContain('INBOX');
  });

  it('password: a delegated token (with a refresh token kept in the cache) the IMAP server accepts', async () => {
    const { adele } = sandbox.fixtures.users;
    const cache = mapCache();
    const p = provider(
      { ...publicAppProperties(sandbox, 'password', adele.upn), 'o365.password': adele.password },
      {},
      cache,
    );
    const token = await p.getToken({ scopes: [IMAP_SCOPE, 'offline_access'] });
    expect(token.account).toBe(adele.upn);
    expect(claimsOf(token.accessToken)).toMatchObject({ upn: adele.upn });
    expect(await imapLogin(sandbox, adele.upn, token.accessToken)).toContain('INBOX');

    expect(cache.stored()).toHaveLength(1);

    // That refresh token is bound to the password: a session without it cannot redeem it.
    const refresher = provider(publicAppProperties(sandbox, 'refresh_token', adele.upn), {}, cache);
    expect(await failure(refresher, [IMAP_SCOPE, 'offline_access'], cache.stored())).toMatchObject({
      code: 'TOKEN_SIGN_IN_REQUIRED',
    });
    // Nor can one with another imported refresh token; its refused token leaves the entry alone.
    const other = provider(
      publicAppProperties(sandbox, 'refresh_token', adele.upn),
      { refreshToken: 'not-a-refresh-token-of-this-tenant' },
      cache,
    );
    expect(await failure(other, [IMAP_SCOPE], cache.stored())).toMatchObject({ oauthError: 'invalid_grant' });
    expect(cache.stored()).toHaveLength(1);
    expect(sandbox.hooks.requestCounts()).toMatchObject({ password: 1, refresh_token: 1 });
  });

  it('refresh_token: redeems the imported token once, then the rotated ones from the cache', async () => {
    const { megan } = sandbox.fixtures.users;
    const seed = provider({
      ...publicAppProperties(sandbox, 'password', megan.upn),
      'o365.password': megan.password,
    });
    await seed.getToken({ scopes: [IMAP_SCOPE, 'offline_access'] });
    const imported = refreshTokensOf(megan.upn).at(-1) ?? '';
    const cache = mapCache();
    const p = provider(
      publicAppProperties(sandbox, 'refresh_token', megan.upn),
      { refreshToken: imported },
      cache,
    );
    await p.getToken({ scopes: [IMAP_SCOPE, 'offline_access'] });
    const firstRotation = refreshTokensOf(megan.upn).at(-1);
    expect(firstRotation).not.toBe(imported);
    expect(cache.stored()).toEqual([firstRotation]);
    await p.getToken({ scopes: [IMAP_SCOPE, 'offline_access'] });
    const secondRotation = refreshTokensOf(megan.upn).at(-1);
    expect(cache.stored()).toEqual([secondRotation]);
    expect(secondRotation).not.toBe(firstRotation);
    expect(sandbox.hooks.requestCounts()).toMatchObject({ password: 1, refresh_token: 2 });
  });

  it('refresh_token without any refresh token says to sign in first', async () => {
    const p = provider(publicAppProperties(sandbox, 'refresh_token', sandbox.fixtures.users.adele.upn));
    await expect(p.getToken({ scopes: [IMAP_SCOPE] })).rejects.toMatchObject({
      code: 'TOKEN_SIGN_IN_REQUIRED',
    });
  });

  it('through the token manager, 100 concurrent getToken calls make one token request', async () => {
    const config = sandboxConfig(sandbox);
    const p = oauth2TokenProvider({ noProxy: '' }).create({
      config,
      cache: undefined,
      logger: recordingLogger(),
    });
    open.push(p);
    const manager = createTokenManager({ config, provider: p });
    const tokens = await Promise.all(Array.from({ length: 100 }, () => manager.getToken()));
    expect(new Set(tokens.map((t) => t.accessToken)).size).toBe(1);
    expect(sandbox.hooks.requestCounts().client_credentials).toBe(1);
  });

  it('through an HTTP CONNECT proxy (kalisto.oauth.proxy)', async () => {
    const before = proxy.connects.length;
    await provider({ 'kalisto.oauth.proxy': proxy.url }).getToken({ scopes: [APP_SCOPE] });
    expect(proxy.connects.slice(before)).toEqual([new URL(sandbox.endpoints.authority).host]);
    expect(sandbox.hooks.requestCounts().client_credentials).toBe(1);
  });
});

describe('oauth2 provider: AADSTS errors become TokenErrors with the code and a fix', () => {
  const { adele, isaiah } = { adele: 'adele@contoso.example', isaiah: 'isaiah@contoso.example' };

  it('7000215 bad secret, 7000222 expired secret', async () => {
    const { secretId, expiredSecret } = sandbox.fixtures.confidentialApp;
    const bad = await failure(provider({ 'o365.oauth.clientSecret': secretId }), [APP_SCOPE], [secretId]);
    expect(bad).toMatchObject({
      code: 'TOKEN_INVALID_CLIENT_SECRET',
      aadsts: '7000215',
      traceId: expect.any(String),
    });
    const expired = await failure(
      provider({ 'o365.oauth.clientSecret': expiredSecret }),
      [APP_SCOPE],
      [expiredSecret],
    );
    expect(expired).toMatchObject({ code: 'TOKEN_CLIENT_SECRET_EXPIRED', aadsts: '7000222' });
  });

  it('90002 unknown tenant, 700016 unknown client', async () => {
    expect(
      await failure(provider({ 'o365.oauth.tenant': 'nowhere.example' }), [APP_SCOPE], []),
    ).toMatchObject({
      code: 'TOKEN_TENANT_NOT_FOUND',
      aadsts: '90002',
    });
    expect(await failure(provider({ 'o365.oauth.clientId': randomUUID() }), [APP_SCOPE], [])).toMatchObject({
      code: 'TOKEN_APP_NOT_FOUND',
      aadsts: '700016',
    });
  });

  it('50126 bad password, 50076 MFA, 65001 no consent, 70011 bad scope', async () => {
    const password = (user: string, secret: string, extra: Record<string, string> = {}) =>
      provider({ ...publicAppProperties(sandbox, 'password', user), 'o365.password': secret, ...extra });
    const wrong = 'Wrong-Password-1!';
    expect(await failure(password(adele, wrong), [IMAP_SCOPE], [wrong])).toMatchObject({
      aadsts: '50126',
      code: 'TOKEN_INVALID_CREDENTIALS',
    });
    const mfaPassword = sandbox.fixtures.users.isaiah.password;
    const mfa = await failure(password(isaiah, mfaPassword), [IMAP_SCOPE], [mfaPassword]);
    expect(mfa).toMatchObject({
      aadsts: '50076',
      code: 'TOKEN_MFA_REQUIRED',
      hint: expect.stringMatching(/device code/),
    });
    const adelePassword = sandbox.fixtures.users.adele.password;
    const unconsented = password(adele, adelePassword, {
      'o365.oauth.clientId': sandbox.fixtures.unconsentedApp.clientId,
    });
    expect(await failure(unconsented, [IMAP_SCOPE], [adelePassword])).toMatchObject({
      aadsts: '65001',
      code: 'TOKEN_CONSENT_REQUIRED',
    });
    expect(
      await failure(
        password(adele, adelePassword),
        ['https://outlook.office.com/Bogus.All'],
        [adelePassword],
      ),
    ).toMatchObject({
      aadsts: '70011',
      code: 'TOKEN_INVALID_SCOPE',
    });
  });

  it('a revoked refresh token: sign in again, and the dead token is dropped from the cache', async () => {
    const { megan } = sandbox.fixtures.users;
    const cache = mapCache();
    const imported = { refreshToken: await importedRefreshToken(megan) };
    const properties = publicAppProperties(sandbox, 'refresh_token', megan.upn);
    await provider(properties, imported, cache).getToken({ scopes: [IMAP_SCOPE, 'offline_access'] });
    expect(cache.stored()).toHaveLength(1);
    sandbox.hooks.revokeUser(megan.upn);
    const p = provider(properties, imported, cache);
    const error = await failure(p, [IMAP_SCOPE], [imported.refreshToken, ...cache.stored()]);
    expect(error).toMatchObject({
      code: 'TOKEN_REFRESH_EXPIRED',
      aadsts: '50173',
      hint: expect.stringMatching(/Sign in again/),
    });
    expect(cache.stored()).toEqual([]);
  });

  it('700082 an expired refresh token (90 days unused): sign in again', async () => {
    const { alex } = sandbox.fixtures.users;
    const refreshToken = await importedRefreshToken(alex);
    now += 91 * DAY;
    try {
      const p = provider(publicAppProperties(sandbox, 'refresh_token', alex.upn), { refreshToken });
      const error = await failure(p, [IMAP_SCOPE], [refreshToken]);
      expect(error).toMatchObject({
        code: 'TOKEN_REFRESH_EXPIRED',
        aadsts: '700082',
        hint: expect.stringMatching(/Sign in again/),
      });
    } finally {
      now = Date.now();
    }
  });

  it('503 and 429 are transient with Retry-After; a dropped connection is a transient network error', async () => {
    sandbox.hooks.injectFault({ status: 503, retryAfterSeconds: 3 });
    expect(await failure(provider(), [APP_SCOPE], [])).toMatchObject({
      transient: true,
      status: 503,
      retryAfterMs: 3000,
    });
    sandbox.hooks.injectFault({ status: 429, retryAfterSeconds: 1 });
    expect(await failure(provider(), [APP_SCOPE], [])).toMatchObject({
      transient: true,
      status: 429,
      code: 'TOKEN_THROTTLED',
    });
    sandbox.hooks.injectFault({ drop: true });
    expect(await failure(provider(), [APP_SCOPE], [])).toMatchObject({
      transient: true,
      code: 'TOKEN_NETWORK_ERROR',
    });
  });
});
