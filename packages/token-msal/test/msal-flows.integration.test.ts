import type { TokenProvider } from '@kalisto/core/plugin';
import type { Sandbox } from '@kalisto/sandbox';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type DeviceCodeInfo,
  type MsalTokenProviderOptions,
  msalTokenProvider,
  type OutboundRequest,
} from '../src/index.js';
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

let sandbox: Sandbox;
const open: TokenProvider[] = [];

beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterEach(async () => {
  for (const provider of open.splice(0)) await provider.close?.();
  sandbox.hooks.resetRequestCounts();
});
afterAll(async () => {
  await sandbox?.stop();
});

/** An msal provider for the sandbox with `overrides`, recording every outbound URL. */
function provider(overrides: Record<string, string> = {}, options: MsalTokenProviderOptions = {}) {
  const requests: OutboundRequest[] = [];
  const created = msalTokenProvider({ noProxy: '', ...options, onRequest: (r) => requests.push(r) }).create({
    config: sandboxConfig(sandbox, overrides),
    cache: undefined,
    logger: recordingLogger(),
  });
  open.push(created);
  return { provider: created, requests };
}

/** Every request went to the sandbox's token endpoints: no instance discovery, no other host. */
function expectOnlyTokenRequests(requests: readonly OutboundRequest[]) {
  expect(requests.length).toBeGreaterThan(0);
  for (const { method, url } of requests) {
    expect(new URL(url).origin).toBe(sandbox.endpoints.authority);
    expect(method).toBe('POST');
    expect(new URL(url).pathname).toMatch(/\/oauth2\/v2\.0\/(token|devicecode)$/);
  }
  expect(sandbox.hooks.requestCounts().discovery).toBe(0);
}

describe('msal provider against the sandbox', () => {
  it('client_credentials with a secret: an app-only token the IMAP server accepts', async () => {
    const { provider: p, requests } = provider();
    const token = await p.getToken({ scopes: [APP_SCOPE] });
    expect(claimsOf(token.accessToken)).toMatchObject({
      aud: 'https://outlook.office365.com',
      appid: sandbox.fixtures.confidentialApp.clientId,
      roles: expect.arrayContaining(['IMAP.AccessAsApp']),
    });
    expect(token.expiresAt).toBeGreaterThan(Date.now());
    expect(token.account).toBeUndefined();
    expect(await imapLogin(sandbox, sandbox.fixtures.users.adele.upn, token.accessToken)).toContain('INBOX');
    expectOnlyTokenRequests(requests);
    expect(sandbox.hooks.requestCounts().client_credentials).toBe(1);
  });

  it('client_credentials: MSAL serves its cached token; forceRefresh asks again', async () => {
    const { provider: p } = provider();
    const first = await p.getToken({ scopes: [APP_SCOPE] });
    expect((await p.getToken({ scopes: [APP_SCOPE] })).accessToken).toBe(first.accessToken);
    expect(sandbox.hooks.requestCounts().client_credentials).toBe(1);
    const forced = await p.getToken({ scopes: [APP_SCOPE], forceRefresh: true });
    expect(forced.accessToken).not.toBe(first.accessToken);
    expect(sandbox.hooks.requestCounts().client_credentials).toBe(2);
  });

  it.each([
    ['SHA-256', 'thumbprintSha256'],
    ['SHA-1', 'thumbprint'],
  ] as const)('client_credentials with a certificate (%s thumbprint)', async (_name, field) => {
    const certificate = sandbox.fixtures.confidentialApp.certificate;
    const { provider: p, requests } = provider({
      'o365.oauth.clientSecret': '',
      'o365.oauth.certificate.thumbprint': certificate[field],
      'o365.oauth.certificate.privateKey': certificate.privateKey,
    });
    const token = await p.getToken({ scopes: [APP_SCOPE] });
    expect(claimsOf(token.accessToken)).toMatchObject({
      appid: sandbox.fixtures.confidentialApp.clientId,
      appidacr: '2',
    });
    expect(await imapLogin(sandbox, sandbox.fixtures.users.megan.upn, token.accessToken)).toContain('INBOX');
    expectOnlyTokenRequests(requests);
  });

  it('password (ROPC) with a public client: a delegated token for the user', async () => {
    const { adele } = sandbox.fixtures.users;
    const { provider: p, requests } = provider({
      ...publicAppProperties(sandbox, 'password', adele.upn),
      'o365.password': adele.password,
    });
    const token = await p.getToken({ scopes: [IMAP_SCOPE] });
    expect(token.account).toBe(adele.upn);
    expect(claimsOf(token.accessToken)).toMatchObject({
      upn: adele.upn,
      scp: expect.stringContaining('IMAP.AccessAsUser.All'),
    });
    expect(await imapLogin(sandbox, adele.upn, token.accessToken)).toContain('INBOX');
    expectOnlyTokenRequests(requests);

    // The second call is served from MSAL's cache; a forced one redeems the refresh token, not the password.
    await p.getToken({ scopes: [IMAP_SCOPE] });
    await p.getToken({ scopes: [IMAP_SCOPE], forceRefresh: true });
    expect(sandbox.hooks.requestCounts()).toMatchObject({ password: 1, refresh_token: 1 });
  });

  it('password with a confidential client (client secret sent too)', async () => {
    const { megan } = sandbox.fixtures.users;
    const { provider: p } = provider({
      'o365.oauth.flow': 'password',
      'o365.oauth.scope': IMAP_SCOPE,
      'o365.user': megan.upn,
      'o365.password': megan.password,
    });
    const token = await p.getToken({ scopes: [IMAP_SCOPE] });
    expect(claimsOf(token.accessToken)).toMatchObject({
      upn: megan.upn,
      appid: sandbox.fixtures.confidentialApp.clientId,
    });
    expect(await imapLogin(sandbox, megan.upn, token.accessToken)).toContain('INBOX');
  });

  it('device_code: shows the code, completes once the user approves it', async () => {
    const { adele } = sandbox.fixtures.users;
    const shown: DeviceCodeInfo[] = [];
    const { provider: p, requests } = provider(publicAppProperties(sandbox, 'device_code', adele.upn), {
      onDeviceCode: (info) => {
        shown.push(info);
        sandbox.hooks.approveDeviceCode(info.userCode, adele.upn);
      },
    });
    const token = await p.getToken({ scopes: [IMAP_SCOPE] });
    expect(shown).toHaveLength(1);
    expect(shown[0]?.message).toContain(shown[0]?.userCode);
    expect(shown[0]?.verificationUri).toBe(`${sandbox.endpoints.authority}/devicelogin`);
    expect(token.account).toBe(adele.upn);
    expect(await imapLogin(sandbox, adele.upn, token.accessToken)).toContain('INBOX');
    expectOnlyTokenRequests(requests);
  });

  it('device_code: an abort stops the polling and rejects with the reason', async () => {
    const controller = new AbortController();
    const { provider: p } = provider(
      publicAppProperties(sandbox, 'device_code', sandbox.fixtures.users.adele.upn),
      {
        onDeviceCode: () => controller.abort(new Error('user gave up')),
      },
    );
    await expect(p.getToken({ scopes: [IMAP_SCOPE], signal: controller.signal })).rejects.toThrow(
      'user gave up',
    );
  });

  it('device_code: gives up after deviceCodeTimeoutMs with a TokenError', async () => {
    const { provider: p } = provider(
      publicAppProperties(sandbox, 'device_code', sandbox.fixtures.users.adele.upn),
      {
        onDeviceCode: () => {},
        deviceCodeTimeoutMs: 1000,
      },
    );
    await expect(p.getToken({ scopes: [IMAP_SCOPE] })).rejects.toMatchObject({
      name: 'TokenError',
      code: 'TOKEN_DEVICE_CODE_TIMEOUT',
    });
  });

  it('refresh_token: redeems an imported refresh token once, then uses the rotated one from the cache', async () => {
    const { adele } = sandbox.fixtures.users;
    // Obtain a refresh token the way another tool would (password grant with offline_access).
    const seed = provider({
      ...publicAppProperties(sandbox, 'password', adele.upn),
      'o365.password': adele.password,
    });
    await seed.provider.getToken({ scopes: [IMAP_SCOPE] });
    const refreshToken = [...sandbox.state.refreshTokens.keys()].at(-1) ?? '';
    sandbox.hooks.resetRequestCounts();

    const { provider: p, requests } = provider(publicAppProperties(sandbox, 'refresh_token', adele.upn), {
      refreshToken,
    });
    const token = await p.getToken({ scopes: [IMAP_SCOPE] });
    expect(token.account).toBe(adele.upn);
    await p.getToken({ scopes: [IMAP_SCOPE], forceRefresh: true });
    expect(sandbox.hooks.requestCounts()).toMatchObject({ password: 0, refresh_token: 2 });
    expect(await imapLogin(sandbox, adele.upn, token.accessToken)).toContain('INBOX');
    expectOnlyTokenRequests(requests);
  });

  it('refresh_token: without any refresh token, says to sign in first', async () => {
    const { provider: p } = provider(
      publicAppProperties(sandbox, 'refresh_token', sandbox.fixtures.users.adele.upn),
    );
    await expect(p.getToken({ scopes: [IMAP_SCOPE] })).rejects.toMatchObject({
      code: 'TOKEN_SIGN_IN_REQUIRED',
      hint: expect.stringMatching(/device code/),
    });
    expect(sandbox.hooks.requestCounts().refresh_token).toBe(0);
  });
});
