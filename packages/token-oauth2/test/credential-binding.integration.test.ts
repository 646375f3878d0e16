// Issue 10, finding 1 with the oauth2 provider: a shared cache serves a token only to the session
// presenting the credential that obtained it; a wrong password or client secret reaches the sandbox.
import { type CacheBackend, createKalisto, type Kalisto } from '@kalisto/core';
import { defineCacheBackend } from '@kalisto/core/plugin';
import type { Sandbox } from '@kalisto/sandbox';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { oauth2TokenProvider } from '../src/index.js';
import { publicAppProperties, rejection, sandboxConfig, startTestSandbox } from './support.js';

let sandbox: Sandbox;
const instances: Kalisto[] = [];

beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterEach(async () => {
  for (const kalisto of instances.splice(0)) await kalisto.close();
  sandbox.hooks.resetRequestCounts();
});
afterAll(async () => {
  await sandbox?.stop();
});

function sharedMemory(): CacheBackend {
  const entries = new Map<string, unknown>();
  return defineCacheBackend({
    name: 'memory',
    get: async <T>(key: string) => structuredClone(entries.get(key)) as T | undefined,
    set: async (key, value) => void entries.set(key, structuredClone(value)),
    delete: async (key) => void entries.delete(key),
  });
}

function session(cache: CacheBackend, overrides: Record<string, string>) {
  const kalisto = createKalisto({ tokenProviders: [oauth2TokenProvider({ noProxy: '' })], caches: [cache] });
  instances.push(kalisto);
  return kalisto.session(sandboxConfig(sandbox, overrides));
}

describe('oauth2: a cached token only for its credential', () => {
  it('a wrong password is refused by the identity platform (AADSTS50126), not served', async () => {
    const { adele } = sandbox.fixtures.users;
    const cache = sharedMemory();
    const properties = (password: string) => ({
      ...publicAppProperties(sandbox, 'password', adele.upn),
      'o365.password': password,
    });
    const token = await session(cache, properties(adele.password)).tokens.getToken();
    const wrong = session(cache, properties('Adele-guess-3!'));
    expect(await rejection(wrong.tokens.getToken())).toMatchObject({ name: 'TokenError', aadsts: '50126' });
    expect(sandbox.hooks.requestCounts().password).toBe(2);
    expect(await session(cache, properties(adele.password)).tokens.getToken()).toEqual(token);
    expect(sandbox.hooks.requestCounts().password).toBe(2);
  });

  it('a wrong client secret is refused (AADSTS7000215), not served', async () => {
    const cache = sharedMemory();
    const token = await session(cache, {}).tokens.getToken();
    const wrong = session(cache, { 'o365.oauth.clientSecret': 'not~the~secret~of~this~app~0123456789abc' });
    expect(await rejection(wrong.tokens.getToken())).toMatchObject({ name: 'TokenError', aadsts: '7000215' });
    expect(sandbox.hooks.requestCounts().client_credentials).toBe(2);
    expect(await session(cache, {}).tokens.getToken()).toEqual(token);
    expect(sandbox.hooks.requestCounts().client_credentials).toBe(2);
  });
});
