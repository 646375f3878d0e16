import { fileURLToPath } from 'node:url';
import { resolveConfig } from '@kalisto/core';
import { recordingLogger, type TestHttpsServer } from '@kalisto/test-support';
import {
  type Streamed,
  startHostileEndpoint,
  tokenEndpointBoundsSuite,
} from '@kalisto/test-support/token-provider';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { msalTokenProvider } from '../src/index.js';

// The real msal-node against a hostile identity platform: the tenant is the authority's first path segment.
tokenEndpointBoundsSuite({
  provider: 'msal',
  factory: msalTokenProvider,
  factoryModule: [fileURLToPath(new URL('../src/index.ts', import.meta.url)), 'msalTokenProvider'],
  properties: (url, tenant) => ({
    'o365.oauth.authority': url,
    'o365.oauth.tenant': tenant,
    'o365.oauth.clientId': 'kalisto-client',
    'o365.oauth.clientSecret': 'client-secret-value',
    'o365.oauth.flow': 'client_credentials',
    'o365.oauth.scope': 'https://outlook.office365.com/.default',
  }),
  scopes: ['https://outlook.office365.com/.default'],
});

describe('msal provider: the GETs msal-node sends itself (managed identity) are bounded too', () => {
  const streams: Streamed[] = [];
  let server: TestHttpsServer;
  beforeAll(async () => {
    server = await startHostileEndpoint(streams);
    // Azure App Service's managed identity endpoint, which MSAL asks with a GET.
    vi.stubEnv('IDENTITY_ENDPOINT', `${server.url}/endless.test/msi/token`);
    vi.stubEnv('IDENTITY_HEADER', 'identity-header-value');
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await server?.close();
  });

  it('an endless managed identity reply is TOKEN_RESPONSE_TOO_LARGE and the GET is aborted', async () => {
    const provider = msalTokenProvider({ noProxy: '' }).create({
      config: resolveConfig({
        'o365.oauth.tenant': 'contoso.example',
        'o365.oauth.clientId': '00000000-0000-0000-0000-000000000001',
        'o365.oauth.flow': 'managed_identity',
        'o365.oauth.scope': 'https://outlook.office365.com/.default',
        'kalisto.tls.ca': server.ca,
      }),
      cache: undefined,
      logger: recordingLogger(),
    });
    try {
      await expect(
        provider.getToken({ scopes: ['https://outlook.office365.com/.default'] }),
      ).rejects.toMatchObject({ name: 'TokenError', code: 'TOKEN_RESPONSE_TOO_LARGE', provider: 'msal' });
    } finally {
      await provider.close?.();
    }
    expect(streams[0]?.aborted).toBe(true);
    expect(streams[0]?.bytes).toBeLessThan(32 * 1024 * 1024);
  });
});
