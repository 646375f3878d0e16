import type { CacheBackend, Logger } from '@kalisto/core';
import { describe, expect, it } from 'vitest';
import { REFRESH_TOKEN_KEY_PREFIX, refreshTokenKey, refreshTokenStore } from './refresh-token-store.js';

function mapBackend() {
  const entries = new Map<string, unknown>();
  let failing = false;
  const backend: CacheBackend = {
    name: 'map',
    async get<T>(key: string) {
      if (failing) throw new Error('down');
      return entries.get(key) as T | undefined;
    },
    async set(key, value) {
      if (failing) throw new Error('down');
      entries.set(key, value);
    },
    async delete(key) {
      if (failing) throw new Error('down');
      entries.delete(key);
    },
  };
  return { backend, entries, fail: () => (failing = true) };
}

const warnings: string[] = [];
const logger: Logger = { debug() {}, info() {}, warn: (_o, m) => void warnings.push(m ?? ''), error() {} };

describe('refreshTokenKey', () => {
  it('ignores case, separates users and tenants, and shows none of them', () => {
    const parts = {
      tokenUrl: 'https://login.microsoftonline.com/contoso.example/oauth2/v2.0/token',
      clientId: 'c',
      user: 'A@contoso.example',
    };
    const key = refreshTokenKey(parts);
    expect(key.startsWith(REFRESH_TOKEN_KEY_PREFIX)).toBe(true);
    expect(refreshTokenKey({ ...parts, user: 'a@CONTOSO.example' })).toBe(key);
    expect(refreshTokenKey({ ...parts, user: 'b@contoso.example' })).not.toBe(key);
    expect(refreshTokenKey({ ...parts, tokenUrl: parts.tokenUrl.replace('contoso', 'fabrikam') })).not.toBe(
      key,
    );
    expect(key).not.toMatch(/contoso/);
  });
});

describe('refreshTokenStore', () => {
  it('shares the newest refresh token through the backend', async () => {
    const { backend } = mapBackend();
    const first = refreshTokenStore({ backend, key: 'k', ttlMs: 1000, logger });
    const second = refreshTokenStore({ backend, key: 'k', ttlMs: 1000, logger });
    await first.set('rt1');
    expect(await second.get()).toBe('rt1');
    await second.set('rt2');
    expect(await first.get()).toBe('rt2');
    await first.delete();
    // An entry gone from the backend (evicted, or deleted elsewhere) leaves this process its last copy.
    expect(await second.get()).toBe('rt2');
    expect(await refreshTokenStore({ backend, key: 'k', ttlMs: 1000, logger }).get()).toBeUndefined();
  });

  it('works from memory without a backend, and when the backend fails', async () => {
    const alone = refreshTokenStore({ backend: undefined, key: 'k', ttlMs: 1, logger });
    await alone.set('rt');
    expect(await alone.get()).toBe('rt');

    const { backend, fail } = mapBackend();
    const store = refreshTokenStore({ backend, key: 'k', ttlMs: 1, logger });
    fail();
    await store.set('rt');
    expect(await store.get()).toBe('rt');
    expect(warnings).toContain('Could not store the refresh token in the cache');
  });
});
