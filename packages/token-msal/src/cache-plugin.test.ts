import type { TokenCacheContext } from '@azure/msal-node';
import type { CacheBackend, Logger } from '@kalisto/core';
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

describe('backendCachePlugin', () => {
  it('loads the stored cache before access and stores it after a change', async () => {
    const { backend, entries, ttls } = mapBackend();
    entries.set('k', '{"stored":true}');
    const plugin = backendCachePlugin({ backend, key: 'k', ttlMs: 1234, logger: recordingLogger().logger });
    const state = { value: '' };
    await plugin.beforeCacheAccess(context(state, false));
    expect(state.value).toBe('{"stored":true}');

    state.value = '{"rotated":true}';
    await plugin.afterCacheAccess(context(state, true));
    expect(entries.get('k')).toBe('{"rotated":true}');
    expect(ttls).toEqual([1234]);
  });

  it('writes nothing when MSAL changed nothing', async () => {
    const { backend, entries } = mapBackend();
    const plugin = backendCachePlugin({ backend, key: 'k', ttlMs: 1, logger: recordingLogger().logger });
    await plugin.afterCacheAccess(context({ value: '{}' }, false));
    expect(entries.size).toBe(0);
  });

  it('leaves the in-memory cache alone when nothing is stored', async () => {
    const { backend } = mapBackend();
    const plugin = backendCachePlugin({ backend, key: 'k', ttlMs: 1, logger: recordingLogger().logger });
    const state = { value: '{"memory":true}' };
    await plugin.beforeCacheAccess(context(state, false));
    expect(state.value).toBe('{"memory":true}');
  });

  it('logs and carries on when the backend fails', async () => {
    const { backend, fail } = mapBackend();
    const { logger, warnings } = recordingLogger();
    const plugin = backendCachePlugin({ backend, key: 'k', ttlMs: 1, logger });
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
