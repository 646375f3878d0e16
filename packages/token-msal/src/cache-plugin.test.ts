import type { TokenCacheContext } from '@azure/msal-node';
import { type CacheBackend, type Logger, Secret } from '@kalisto/core';
import { createCredentialVerifier } from '@kalisto/core/plugin';
import { describe, expect, it } from 'vitest';
import { backendCachePlugin, MSAL_CACHE_KEY_PREFIX, msalCacheKey } from './cache-plugin.js';

/** A Map-backed backend that records TTLs and can be switched to failing. */
function mapBackend() {
  const entries = new Map<string, unknown>();
  const ttls: number[] = [];
  let failing = false;
  const backend: CacheBackend = {
    name: 'map',
    async get<T>(key: string) {
      if (failing) throw new Error('backend down');
      return entries.get(key) as T | undefined;
    },
    async set(key, value, ttlMs) {
      if (failing) throw new Error('backend down');
      entries.set(key, value);
      ttls.push(ttlMs);
    },
    async delete(key) {
      entries.delete(key);
    },
  };
  return { backend, entries, ttls, fail: () => (failing = true) };
}

function recordingLogger() {
  const warnings: string[] = [];
  const logger: Logger = {
    debug() {},
    info() {},
    warn(_obj, msg) {
      warnings.push(msg ?? '');
    },
    error() {},
  };
  return { logger, warnings };
}

/** A stand-in for MSAL's TokenCacheContext around a serialisable string. */
function context(state: { value: string }, changed: boolean): TokenCacheContext {
  return {
    cacheHasChanged: changed,
    tokenCache: {
      serialize: () => state.value,
      deserialize: (value: string) => {
        state.value = value;
      },
    },
  } as unknown as TokenCacheContext;
}

describe('msalCacheKey', () => {
  const parts = {
    authority: 'https://login.microsoftonline.com/contoso.example',
    clientId: 'AbC',
    user: 'Adele@Contoso.example',
  };

  it('is the same for every spelling of the same tenant, client and user', () => {
    const key = msalCacheKey(parts);
    expect(key.startsWith(MSAL_CACHE_KEY_PREFIX)).toBe(true);
    expect(
      msalCacheKey({
        authority: `${parts.authority.toUpperCase()}/`,
        clientId: 'abc',
        user: 'adele@contoso.example',
      }),
    ).toBe(key);
  });

  it('differs between tenants, clients and users and reveals none of them', () => {
    const key = msalCacheKey(parts);
    expect(
      msalCacheKey({ ...parts, authority: 'https://login.microsoftonline.com/fabrikam.example' }),
    ).not.toBe(key);
    expect(msalCacheKey({ ...parts, clientId: 'other' })).not.toBe(key);
    expect(msalCacheKey({ ...parts, user: undefined })).not.toBe(key);
    expect(key).not.toMatch(/contoso|adele/i);
  });
});

const PASSWORD = 'Adele-Sandbox-1!';
const verifier = (password = PASSWORD) => createCredentialVerifier([['password', new Secret(password)]]);
/** A plugin on key `k` with a 1 ms TTL and the right password. */
const plugin1 = (backend: CacheBackend) =>
  backendCachePlugin({ backend, key: 'k', ttlMs: 1, logger: recordingLogger().logger, verifier: verifier() });

describe('backendCachePlugin', () => {
  it('stores the cache after a change, bound to the credential, and loads it before access', async () => {
    const { backend, entries, ttls } = mapBackend();
    const options = { backend, key: 'k', ttlMs: 1234, logger: recordingLogger().logger };
    const writer = backendCachePlugin({ ...options, verifier: verifier() });
    await writer.afterCacheAccess(context({ value: '{"rotated":true}' }, true));
    expect(entries.get('k')).toMatchObject({ cache: '{"rotated":true}', verifier: { v: 1 } });
    expect(JSON.stringify(entries.get('k'))).not.toContain(PASSWORD);
    expect(ttls).toEqual([1234]);

    const state = { value: '' };
    await backendCachePlugin({ ...options, verifier: verifier() }).beforeCacheAccess(context(state, false));
    expect(state.value).toBe('{"rotated":true}');
  });

  it('does not load a cache written with another credential, or in the earlier format', async () => {
    const { backend, entries } = mapBackend();
    const options = { backend, key: 'k', ttlMs: 1, logger: recordingLogger().logger };
    await backendCachePlugin({ ...options, verifier: verifier() }).afterCacheAccess(
      context({ value: '{"refresh":"good"}' }, true),
    );
    const stored = entries.get('k');
    const state = { value: '{}' };
    const wrong = backendCachePlugin({ ...options, verifier: verifier('wrong') });
    await wrong.beforeCacheAccess(context(state, false));
    expect(state.value).toBe('{}');
    // Its own accesses that change nothing leave the good entry in place.
    await wrong.afterCacheAccess(context(state, false));
    expect(entries.get('k')).toEqual(stored);

    entries.set('k', '{"refresh":"old format"}');
    await backendCachePlugin({ ...options, verifier: verifier() }).beforeCacheAccess(context(state, false));
    expect(state.value).toBe('{}');
    // Moved to another key, it does not load either.
    entries.set('other', stored);
    const moved = backendCachePlugin({ ...options, key: 'other', verifier: verifier() });
    await moved.beforeCacheAccess(context(state, false));
    expect(state.value).toBe('{}');
  });

  it('writes nothing when MSAL changed nothing', async () => {
    const { backend, entries } = mapBackend();
    const plugin = plugin1(backend);
    await plugin.afterCacheAccess(context({ value: '{}' }, false));
    expect(entries.size).toBe(0);
  });

  it('leaves the in-memory cache alone when nothing is stored', async () => {
    const { backend } = mapBackend();
    const plugin = plugin1(backend);
    const state = { value: '{"memory":true}' };
    await plugin.beforeCacheAccess(context(state, false));
    expect(state.value).toBe('{"memory":true}');
  });

  it('logs and carries on when the backend fails', async () => {
    const { backend, fail } = mapBackend();
    const { logger, warnings } = recordingLogger();
    const plugin = backendCachePlugin({ backend, key: 'k', ttlMs: 1, logger, verifier: verifier() });
    fail();
    const state = { value: '{"memory":true}' };
    await plugin.beforeCacheAccess(context(state, false));
    await plugin.afterCacheAccess(context(state, true));
    expect(state.value).toBe('{"memory":true}');
    expect(warnings).toEqual([
      'Could not read the persisted MSAL token cache',
      'Could not persist the MSAL token cache: a rotated refresh token is only in this process',
    ]);
  });
});
