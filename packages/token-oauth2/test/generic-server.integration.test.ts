import type { IncomingHttpHeaders } from 'node:http';
import { resolveConfig } from '@kalisto/core';
import type { TokenProvider } from '@kalisto/core/plugin';
import { json, startHttpsServer, type TestHttpsServer } from '@kalisto/test-support';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type OAuth2TokenProviderOptions, oauth2TokenProvider } from '../src/index.js';
import { recordingLogger } from './support.js';

// A non-Microsoft RFC 6749 server (Google-like replies), scripted per test.
interface Seen {
  path: string | undefined;
  headers: IncomingHttpHeaders;
  form: Record<string, string>;
}
let server: TestHttpsServer;
const seen: Seen[] = [];
let replies: { status: number; body: unknown; raw?: string; hang?: boolean }[] = [];
const open: TokenProvider[] = [];

beforeAll(async () => {
  server = await startHttpsServer((req, res, body) => {
    seen.push({ path: req.url, headers: req.headers, form: Object.fromEntries(new URLSearchParams(body)) });
    const reply = replies.shift() ?? { status: 500, body: { error: 'server_error' } };
    if (reply.hang) return;
    if (reply.raw !== undefined) {
      res.writeHead(reply.status, { 'content-type': 'text/html' });
      res.end(reply.raw);
      return;
    }
    json(res, reply.status, reply.body);
  });
});
afterEach(async () => {
  for (const provider of open.splice(0)) await provider.close?.();
  seen.length = 0;
  replies = [];
});
afterAll(async () => {
  await server?.close();
});

function provider(
  properties: Record<string, string>,
  options: OAuth2TokenProviderOptions = {},
): TokenProvider {
  const config = resolveConfig({
    'o365.oauth.provider': 'oauth2',
    // A tenant in the path (%s), as a multi-tenant identity provider has; see the test without one.
    'o365.oauth.url': `${server.url}/%s/token`,
    'o365.oauth.tenant': 'example.com',
    'o365.oauth.clientId': 'kalisto-client',
    'kalisto.tls.ca': server.ca,
    'kalisto.oauth.timeout': '2000',
    ...properties,
  });
  const created = oauth2TokenProvider({ noProxy: '', ...options }).create({
    config,
    cache: undefined,
    logger: recordingLogger(),
  });
  open.push(created);
  return created;
}

const googleToken = {
  access_token: 'ya29.token-1',
  expires_in: 3599,
  scope: 'https://mail.google.com/',
  token_type: 'Bearer',
};
const clientCredentials = {
  'o365.oauth.flow': 'client_credentials',
  'o365.oauth.clientSecret': 'client-secret-value',
  'o365.oauth.scope': 'https://mail.google.com/',
};

describe('oauth2 provider against a generic RFC 6749 server', () => {
  it('posts the client secret in the body by default, to o365.oauth.url', async () => {
    replies = [{ status: 200, body: googleToken }];
    const token = await provider(clientCredentials).getToken({ scopes: ['https://mail.google.com/'] });
    expect(token).toMatchObject({ accessToken: 'ya29.token-1', scopes: ['https://mail.google.com/'] });
    expect(token.expiresAt).toBeGreaterThan(Date.now() + 3_500_000);
    expect(seen[0]?.path).toBe('/example.com/token');
    expect(seen[0]?.form).toEqual({
      grant_type: 'client_credentials',
      scope: 'https://mail.google.com/',
      client_id: 'kalisto-client',
      client_secret: 'client-secret-value',
    });
    expect(seen[0]?.headers.authorization).toBeUndefined();
  });

  it('needs no o365.oauth.tenant when o365.oauth.url has no %s (a fixed endpoint, secret in the body or by Basic)', async () => {
    const properties = {
      'o365.oauth.provider': 'oauth2',
      'o365.oauth.url': `${server.url}/oauth2/token`,
      'o365.oauth.clientId': 'kalisto-client',
      'kalisto.tls.ca': server.ca,
      ...clientCredentials,
    };
    for (const clientAuth of ['body', 'basic'] as const) {
      replies = [{ status: 200, body: googleToken }];
      const created = oauth2TokenProvider({ noProxy: '', clientAuth }).create({
        config: resolveConfig(properties),
        cache: undefined,
        logger: recordingLogger(),
      });
      open.push(created);
      const token = await created.getToken({ scopes: ['https://mail.google.com/'] });
      expect(token.accessToken).toBe('ya29.token-1');
    }
    expect(seen.map((request) => request.path)).toEqual(['/oauth2/token', '/oauth2/token']);
    expect(seen[0]?.form.client_secret).toBe('client-secret-value');
    expect(seen[1]?.headers.authorization).toBe(
      `Basic ${Buffer.from('kalisto-client:client-secret-value').toString('base64')}`,
    );
  });

  it('authenticates with HTTP Basic when clientAuth is basic', async () => {
    replies = [{ status: 200, body: { ...googleToken, expires_in: '120' } }];
    const token = await provider(clientCredentials, { clientAuth: 'basic' }).getToken({
      scopes: ['https://mail.google.com/'],
    });
    expect(token.expiresAt).toBeLessThan(Date.now() + 121_000);
    expect(seen[0]?.form.client_secret).toBeUndefined();
    expect(seen[0]?.headers.authorization).toBe(
      `Basic ${Buffer.from('kalisto-client:client-secret-value').toString('base64')}`,
    );
  });

  it('keeps the old refresh token when a refresh reply carries none (Google does this)', async () => {
    replies = [
      { status: 200, body: googleToken },
      { status: 200, body: { ...googleToken, access_token: 'ya29.token-2' } },
    ];
    const p = provider(
      {
        'o365.oauth.flow': 'refresh_token',
        'o365.oauth.scope': 'https://mail.google.com/',
        'o365.user': 'me@example.com',
      },
      { refreshToken: '1//refresh-token' },
    );
    await p.getToken({ scopes: ['https://mail.google.com/'] });
    const second = await p.getToken({ scopes: ['https://mail.google.com/'], forceRefresh: true });
    expect(second.accessToken).toBe('ya29.token-2');
    expect(second.account).toBe('me@example.com');
    expect(seen.map((s) => s.form.refresh_token)).toEqual(['1//refresh-token', '1//refresh-token']);
    expect(seen[0]?.form).toMatchObject({ grant_type: 'refresh_token', client_id: 'kalisto-client' });
  });

  it('classifies a plain OAuth2 error (no AADSTS number) and never echoes the secret', async () => {
    replies = [
      {
        status: 400,
        body: { error: 'invalid_client', error_description: 'The OAuth client was not found.' },
      },
    ];
    const error = await provider(clientCredentials)
      .getToken({ scopes: ['https://mail.google.com/'] })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'TokenError',
      code: 'TOKEN_INVALID_CLIENT',
      status: 400,
      transient: false,
      provider: 'oauth2',
    });
    expect(JSON.stringify(error) + String((error as Error).message)).not.toContain('client-secret-value');
  });

  it('reports a 200 without an access token (e.g. a captive portal) as an invalid response', async () => {
    replies = [{ status: 200, body: undefined, raw: '<html>Sign in to the Wi-Fi</html>' }];
    await expect(provider(clientCredentials).getToken({ scopes: ['x'] })).rejects.toMatchObject({
      code: 'TOKEN_RESPONSE_INVALID',
      hint: expect.stringMatching(/o365\.oauth\.url/),
    });
  });

  it('times out after kalisto.oauth.timeout, as a transient error', async () => {
    replies = [{ status: 200, body: {}, hang: true }];
    await expect(provider(clientCredentials).getToken({ scopes: ['x'] })).rejects.toMatchObject({
      code: 'TOKEN_TIMEOUT',
      transient: true,
    });
  });

  it("rejects with the caller's abort reason", async () => {
    replies = [{ status: 200, body: {}, hang: true }];
    const controller = new AbortController();
    const pending = provider(clientCredentials).getToken({ scopes: ['x'], signal: controller.signal });
    setImmediate(() => controller.abort(new Error('shutting down')));
    await expect(pending).rejects.toThrow('shutting down');
  });
});
