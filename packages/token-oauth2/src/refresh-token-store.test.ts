import { type CacheBackend, type Logger, Secret } from '@kalisto/core';
import { createCredentialVerifier } from '@kalisto/core/plugin';
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

const verifier = (password = 'Adele-Sandbox-1!') =>
  createCredentialVerifier([['password', new Secret(password)]]);
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
    const first = refreshTokenStore({ backend, key: 'k', ttlMs: 1000, logger, verifier: verifier() });
    const second = refreshTokenStore({ backend, key: 'k', ttlMs: 1000, logger, verifier: verifier() });
    await first.set('rt1');
    expect(await second.get()).toBe('rt1');
    await second.set('rt2');
    expect(await first.get()).toBe('rt2');
    await first.delete();
    // An entry gone from the backend (evicted, or deleted elsewhere) leaves this process its last copy.
    expect(await second.get()).toBe('rt2');
    expect(
      await refreshTokenStore({ backend, key: 'k', ttlMs: 1000, logger, verifier: verifier() }).get(),
    ).toBeUndefined();
  });

  it('works from memory without a backend, and when the backend fails', async () => {
    const alone = refreshTokenStore({ backend: undefined, key: 'k', ttlMs: 1, logger, verifier: verifier() });
    await alone.set('rt');
    expect(await alone.get()).toBe('rt');

    const { backend, fail } = mapBackend();
    const store = refreshTokenStore({ backend, key: 'k', ttlMs: 1, logger, verifier: verifier() });
    fail();
    await store.set('rt');
    expect(await store.get()).toBe('rt');
    expect(warnings).toContain('Could not store the refresh token in the cache');
  });

  it('uses and deletes only an entry of its own credential', async () => {
    const { backend, entries } = mapBackend();
    const good = refreshTokenStore({ backend, key: 'k', ttlMs: 1000, logger, verifier: verifier() });
    await good.set('rt-good');
    expect(JSON.stringify(entries.get('k'))).not.toContain('Adele');
    const stored = entries.get('k');

    const wrong = refreshTokenStore({ backend, key: 'k', ttlMs: 1000, logger, verifier: verifier('guess') });
    expect(await wrong.get()).toBeUndefined();
    await wrong.delete();
    expect(entries.get('k')).toEqual(stored);

    // The earlier format (no verifier), and a spliced token, are not used either.
    const fresh = () => refreshTokenStore({ backend, key: 'k', ttlMs: 1000, logger, verifier: verifier() });
    entries.set('k', { refreshToken: 'rt-old-format', storedAt: 0 });
    expect(await fresh().get()).toBeUndefined();
    entries.set('k', { ...(stored as object), refreshToken: 'rt-planted' });
    expect(await fresh().get()).toBeUndefined();

    entries.set('k', stored);
    expect(await fresh().get()).toBe('rt-good');
    await fresh().delete();
    expect(entries.has('k')).toBe(false);
  });
});
