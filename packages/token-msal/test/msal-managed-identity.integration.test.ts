import { resolveConfig } from '@kalisto/core';
import type { TokenProvider } from '@kalisto/core/plugin';
import { json, startHttpsServer, type TestHttpsServer } from '@kalisto/test-support';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { msalTokenProvider } from '../src/index.js';
import { APP_SCOPE, recordingLogger } from './support.js';

// Azure App Service's managed identity endpoint, emulated on loopback: MSAL finds it through the
// IDENTITY_ENDPOINT and IDENTITY_HEADER variables. (IMDS at 169.254.169.254 cannot be tested offline.)
let endpoint: TestHttpsServer;
const seen: { url: URL; identityHeader: string | undefined }[] = [];
let answer: { status: number; body: unknown } = { status: 200, body: {} };
const saved = { endpoint: process.env.IDENTITY_ENDPOINT, header: process.env.IDENTITY_HEADER };
const open: TokenProvider[] = [];

beforeAll(async () => {
  endpoint = await startHttpsServer((req, res) => {
    const header = req.headers['x-identity-header'];
    seen.push({
      url: new URL(req.url ?? '/', 'https://x'),
      identityHeader: typeof header === 'string' ? header : undefined,
    });
    json(res, answer.status, answer.body);
  });
  process.env.IDENTITY_ENDPOINT = `${endpoint.url}/msi/token`;
  process.env.IDENTITY_HEADER = 'identity-header-value';
});
afterEach(async () => {
  for (const provider of open.splice(0)) await provider.close?.();
  seen.length = 0;
});
afterAll(async () => {
  for (const [name, value] of [
    ['IDENTITY_ENDPOINT', saved.endpoint],
    ['IDENTITY_HEADER', saved.header],
  ] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await endpoint?.close();
});

function provider(options: Parameters<typeof msalTokenProvider>[0] = {}): TokenProvider {
  const config = resolveConfig({
    'o365.oauth.tenant': 'contoso.example',
    'o365.oauth.clientId': '00000000-0000-0000-0000-000000000001',
    'o365.oauth.flow': 'managed_identity',
    'o365.oauth.scope': APP_SCOPE,
    'kalisto.tls.ca': endpoint.ca,
  });
  const created = msalTokenProvider({ noProxy: '', ...options }).create({
    config,
    cache: undefined,
    logger: recordingLogger(),
  });
  open.push(created);
  return created;
}

describe('msal provider: managed_identity (App Service endpoint on loopback)', () => {
  it('asks the endpoint for the resource of the scope, with the identity header', async () => {
    const expiresOn = Math.floor(Date.now() / 1000) + 3600;
    answer = {
      status: 200,
      body: {
        access_token: 'mi-token',
        expires_on: String(expiresOn),
        resource: 'https://outlook.office365.com',
        token_type: 'Bearer',
      },
    };
    const token = await provider().getToken({ scopes: [APP_SCOPE] });
    expect(token.accessToken).toBe('mi-token');
    expect(Math.abs(token.expiresAt - expiresOn * 1000)).toBeLessThan(5_000);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.url.pathname).toBe('/msi/token');
    expect(seen[0]?.url.searchParams.get('resource')).toBe('https://outlook.office365.com');
    expect(seen[0]?.identityHeader).toBe('identity-header-value');
  });

  it('names a user-assigned identity by client id', async () => {
    answer = {
      status: 200,
      body: {
        access_token: 'ua-token',
        expires_on: String(Math.floor(Date.now() / 1000) + 3600),
        resource: 'https://outlook.office365.com',
        token_type: 'Bearer',
      },
    };
    const p = provider({ managedIdentity: { clientId: '11111111-2222-3333-4444-555555555555' } });
    await p.getToken({ scopes: [APP_SCOPE], forceRefresh: true });
    expect(seen[0]?.url.searchParams.get('client_id')).toBe('11111111-2222-3333-4444-555555555555');
  });

  it('maps an error answer through the classifier', async () => {
    answer = {
      status: 400,
      body: {
        error: 'invalid_resource',
        error_description:
          'AADSTS500011: The resource principal named https://outlook.office365.com was not found in the tenant.',
      },
    };
    await expect(provider().getToken({ scopes: [APP_SCOPE], forceRefresh: true })).rejects.toMatchObject({
      name: 'TokenError',
      code: 'TOKEN_WRONG_TENANT',
      aadsts: '500011',
      status: 400,
    });
  });

  it('refuses more than one scope: a managed identity token is for one resource', async () => {
    await expect(provider().getToken({ scopes: [APP_SCOPE, 'offline_access'] })).rejects.toMatchObject({
      name: 'ConfigError',
    });
    expect(seen).toHaveLength(0);
  });
});
