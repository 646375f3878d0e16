// Issue 10, finding 1: after one good sign-in, a session with a wrong password or client secret over
// the same shared cache must be refused by the identity platform — neither the token manager's cached
// access token nor MSAL's persisted refresh token may serve it. Real msal-node against the sandbox.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileCache } from '@kalisto/cache-file';
import { type CacheBackend, createKalisto, type Kalisto, type TokenError } from '@kalisto/core';
import { defineCacheBackend } from '@kalisto/core/plugin';
import type { Sandbox } from '@kalisto/sandbox';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { msalTokenProvider } from '../src/index.js';
import { IMAP_SCOPE, publicAppProperties, sandboxConfig, startTestSandbox } from './support.js';

let sandbox: Sandbox;
let dir: string;
const instances: Kalisto[] = [];

beforeAll(async () => {
  sandbox = await startTestSandbox({ mail: false });
  dir = await mkdtemp(join(tmpdir(), 'kalisto-credential-binding-'));
});
afterEach(async () => {
  for (const kalisto of instances.splice(0)) await kalisto.close();
  sandbox.hooks.resetRequestCounts();
});
afterAll(async () => {
  await sandbox?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A process-wide Map cache with TTLs and locks: what an in-memory backend shares between sessions. */
function memoryBackend(): CacheBackend {
  const entries = new Map<string, { value: unknown; until: number }>();
  const locks = new Map<string, number>();
  return defineCacheBackend({
    name: 'memory',
    get: async <T>(key: string) => {
      const entry = entries.get(key);
      return entry !== undefined && entry.until > Date.now()
        ? (structuredClone(entry.value) as T)
        : undefined;
    },
    set: async (key, value, ttlMs) =>
      void entries.set(key, { value: structuredClone(value), until: Date.now() + ttlMs }),
    delete: async (key) => void entries.delete(key),
    acquireLock: async (key, ttlMs) => {
      if ((locks.get(key) ?? 0) > Date.now()) return undefined;
      locks.set(key, Date.now() + ttlMs);
      return { release: async () => void locks.delete(key) };
    },
  });
}

/**
 * Two ways of sharing: one memory backend in one process, and two handles on one encrypted cache
 * file (two processes).
 */
const BACKENDS: { name: string; pair: () => [CacheBackend, CacheBackend] }[] = [
  {
    name: 'memory',
    pair: () => {
      const backend = memoryBackend();
      return [backend, backend];
    },
  },
  {
    name: 'file',
    pair: () => {
      const path = join(dir, `${randomBytes(6).toString('hex')}.json`);
      const encryptionKey = randomBytes(32).toString('hex');
      return [fileCache({ path, encryptionKey }), fileCache({ path, encryptionKey })];
    },
  },
];

/** A session of its own Kalisto instance over `cache`, as another application or process would open. */
function session(cache: CacheBackend, overrides: Record<string, string>) {
  const kalisto = createKalisto({ tokenProviders: [msalTokenProvider({ noProxy: '' })], caches: [cache] });
  instances.push(kalisto);
  return kalisto.session(sandboxConfig(sandbox, overrides));
}

async function refusal(promise: Promise<unknown>): Promise<TokenError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toMatchObject({ name: 'TokenError' });
  return error as TokenError;
}

describe.each(BACKENDS)('a cached token only for its credential ($name cache)', ({ pair }) => {
  const password = (user: { upn: string; password: string }, value = user.password) => ({
    ...publicAppProperties(sandbox, 'password', user.upn),
    'o365.oauth.scope': `${IMAP_SCOPE} offline_access`,
    'o365.password': value,
  });

  it('password: a wrong password is refused by the identity platform (AADSTS50126), not served', async () => {
    const { adele } = sandbox.fixtures.users;
    const [first, second] = pair();
    const token = await session(first, password(adele)).tokens.getToken();
    expect(sandbox.hooks.requestCounts()).toMatchObject({ password: 1, refresh_token: 0 });

    const wrong = session(second, password(adele, `${adele.password}x`));
    expect(await refusal(wrong.tokens.getToken())).toMatchObject({ aadsts: '50126' });
    // A forced refresh goes through MSAL's persisted refresh token when MSAL finds the account.
    expect(await refusal(wrong.tokens.getToken({ forceRefresh: true }))).toMatchObject({ aadsts: '50126' });
    expect(sandbox.hooks.requestCounts()).toMatchObject({ password: 3, refresh_token: 0 });

    // The right password still gets the cached token, without a request.
    expect(await session(second, password(adele)).tokens.getToken()).toEqual(token);
    expect(sandbox.hooks.requestCounts()).toMatchObject({ password: 3, refresh_token: 0 });
  });

  it('password: the provider alone does not redeem a refresh token persisted for another password', async () => {
    const { megan } = sandbox.fixtures.users;
    const [first, second] = pair();
    await session(first, password(megan)).tokens.getToken();
    const provider = msalTokenProvider({ noProxy: '' }).create({
      config: sandboxConfig(sandbox, password(megan, 'Megan-guess-1!')),
      cache: second,
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    });
    try {
      const scopes = [IMAP_SCOPE, 'offline_access'];
      expect(await refusal(provider.getToken({ scopes }))).toMatchObject({ aadsts: '50126' });
      expect(await refusal(provider.getToken({ scopes, forceRefresh: true }))).toMatchObject({
        aadsts: '50126',
      });
      expect(sandbox.hooks.requestCounts()).toMatchObject({ password: 3, refresh_token: 0 });
    } finally {
      await provider.close?.();
    }
  });

  it('refresh_token without a credential does not continue from a password sign-in', async () => {
    const { adele } = sandbox.fixtures.users;
    const [first, second] = pair();
    await session(first, password(adele)).tokens.getToken();
    const noCredential = session(second, {
      ...publicAppProperties(sandbox, 'refresh_token', adele.upn),
      'o365.oauth.scope': `${IMAP_SCOPE} offline_access`,
    });
    expect(await refusal(noCredential.tokens.getToken())).toMatchObject({ code: 'TOKEN_SIGN_IN_REQUIRED' });
    expect(sandbox.hooks.requestCounts()).toMatchObject({ password: 1, refresh_token: 0 });
  });

  it('client credentials: a wrong client secret is refused (AADSTS7000215), not served', async () => {
    const [first, second] = pair();
    const token = await session(first, {}).tokens.getToken();
    const wrong = session(second, { 'o365.oauth.clientSecret': 'not~the~secret~of~this~app~0123456789abc' });
    expect(await refusal(wrong.tokens.getToken())).toMatchObject({ aadsts: '7000215' });
    expect(sandbox.hooks.requestCounts().client_credentials).toBe(2);
    expect(await session(second, {}).tokens.getToken()).toEqual(token);
    expect(sandbox.hooks.requestCounts().client_credentials).toBe(2);
  });

  it('concurrent good and bad callers: the bad ones fail, the good ones succeed, no request is shared', async () => {
    const { adele } = sandbox.fixtures.users;
    const [first, second] = pair();
    const good = session(first, password(adele));
    const bad = session(second, password(adele, 'Adele-guess-2!'));
    const [ok, refused] = await Promise.allSettled([
      Promise.all(Array.from({ length: 10 }, () => good.tokens.getToken())),
      Promise.all(Array.from({ length: 10 }, () => bad.tokens.getToken())),
    ]);
    expect(ok.status).toBe('fulfilled');
    expect(refused).toMatchObject({ status: 'rejected', reason: { aadsts: '50126' } });
    // One password grant each: the ten callers of a session share a flight, the two sessions do not.
    expect(sandbox.hooks.requestCounts()).toMatchObject({ password: 2, refresh_token: 0 });
  });
});
