import { createTokenManager, type TokenProvider } from '@kalisto/core/plugin';
import type { Sandbox } from '@kalisto/sandbox';
import { type ConnectProxy, startConnectProxy } from '@kalisto/test-support';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type MsalTokenProviderOptions, msalTokenProvider } from '../src/index.js';
import {
  APP_SCOPE,
  IMAP_SCOPE,
  publicAppProperties,
  recordingLogger,
  sandboxConfig,
  startTestSandbox,
} from './support.js';

let sandbox: Sandbox;
let proxy: ConnectProxy;
const open: TokenProvider[] = [];

beforeAll(async () => {
  sandbox = await startTestSandbox({ mail: false });
  proxy = await startConnectProxy();
});
afterEach(async () => {
  for (const provider of open.splice(0)) await provider.close?.();
  sandbox.hooks.resetRequestCounts();
});
afterAll(async () => {
  await proxy?.close();
  await sandbox?.stop();
});

function managerFor(overrides: Record<string, string>, options: MsalTokenProviderOptions = {}) {
  const config = sandboxConfig(sandbox, overrides);
  const logger = recordingLogger();
  const provider = msalTokenProvider({ noProxy: '', ...options }).create({
    config,
    cache: undefined,
    logger,
  });
  open.push(provider);
  return createTokenManager({ config, provider, logger });
}

describe('msal provider behind the token manager', () => {
  it('client_credentials: 100 concurrent getToken calls make one token request', async () => {
    const manager = managerFor({});
    const tokens = await Promise.all(Array.from({ length: 100 }, () => manager.getToken()));
    expect(new Set(tokens.map((t) => t.accessToken)).size).toBe(1);
    expect(sandbox.hooks.requestCounts().client_credentials).toBe(1);
  });

  it('password: 100 concurrent getToken calls make one password grant', async () => {
    const { adele } = sandbox.fixtures.users;
    const manager = managerFor({
      ...publicAppProperties(sandbox, 'password', adele.upn),
      'o365.password': adele.password,
    });
    const tokens = await Promise.all(Array.from({ length: 100 }, () => manager.getToken()));
    expect(new Set(tokens.map((t) => t.accessToken)).size).toBe(1);
    expect(sandbox.hooks.requestCounts()).toMatchObject({ password: 1, refresh_token: 0 });
  });

  it('device_code: 100 concurrent getToken calls show one code and sign in once', async () => {
    const { adele } = sandbox.fixtures.users;
    let shown = 0;
    const manager = managerFor(publicAppProperties(sandbox, 'device_code', adele.upn), {
      onDeviceCode: (info) => {
        shown++;
        sandbox.hooks.approveDeviceCode(info.userCode, adele.upn);
      },
    });
    const tokens = await Promise.all(
      Array.from({ length: 100 }, () => manager.getToken({ scopes: [IMAP_SCOPE] })),
    );
    expect(new Set(tokens.map((t) => t.accessToken)).size).toBe(1);
    expect(shown).toBe(1);
    expect(sandbox.hooks.requestCounts().devicecode_request).toBe(1);
  });

  it('retries a 503 through the manager and then succeeds', async () => {
    const manager = managerFor({});
    sandbox.hooks.injectFault({ status: 503 });
    const token = await manager.getToken();
    expect(token.accessToken).not.toBe('');
    expect(sandbox.hooks.requestCounts().client_credentials).toBe(2);
  });
});

describe('msal provider through a proxy', () => {
  it('sends every token request through the HTTP CONNECT proxy of kalisto.oauth.proxy', async () => {
    const before = proxy.connects.length;
    const p = msalTokenProvider({ noProxy: '' }).create({
      config: sandboxConfig(sandbox, { 'kalisto.oauth.proxy': proxy.url }),
      cache: undefined,
      logger: recordingLogger(),
    });
    open.push(p);
    await p.getToken({ scopes: [APP_SCOPE] });
    await p.getToken({ scopes: [APP_SCOPE], forceRefresh: true });
    const tunnels = proxy.connects.slice(before);
    expect(tunnels.length).toBeGreaterThanOrEqual(1);
    for (const target of tunnels) expect(target).toBe(new URL(sandbox.endpoints.authority).host);
    expect(sandbox.hooks.requestCounts().client_credentials).toBe(2);
  });
});
