// The token manager serves a shared cache entry only to a caller presenting the credential that
// obtained it (issue 10, finding 1). Every backend is covered because the binding lives in the value.
import { afterAll, describe, expect, it } from 'vitest';
import {
  expectNoSecretsSeen,
  type FakeClock,
  fakeClock,
  fakeProvider,
  type ProviderStep,
  recordingLogger,
  recordingSleep,
  rejectionOf,
  type TestCache,
  testCache,
  testConfig,
} from '../../test/runtime-fixtures.js';
import { Secret } from '../config/secret.js';
import type { OAuthSettings } from '../config/types.js';
import {
  type CredentialVerifier,
  createCredentialVerifier,
  credentialMaterial,
} from './credential-verifier.js';
import { createTokenManager } from './manager.js';

afterAll(() => expectNoSecretsSeen());

const WRONG_PASSWORD = new Secret('not-the-password-1');
const WRONG_SECRET = new Secret('not-the-client-secret');
const BAD_PASSWORD: ProviderStep = 'permanent';

interface Peer {
  manager: ReturnType<typeof createTokenManager>;
  provider: ReturnType<typeof fakeProvider>;
  verifier: CredentialVerifier & { derivations: number; verifies: number; signs: number };
}

/** A session's manager over the shared `cache`, with its own provider and credential. */
function peer(
  cache: TestCache,
  clock: FakeClock,
  oauth: Partial<OAuthSettings> = {},
  options: { script?: ProviderStep[]; gated?: boolean; sleep?: () => Promise<void> } = {},
): Peer {
  const config = testConfig({ oauth });
  const provider = fakeProvider({ clock, script: options.script, gated: options.gated });
  const counts = { derivations: 0, verifies: 0, signs: 0 };
  const real = createCredentialVerifier(credentialMaterial(config.oauth), {
    onDerive: () => counts.derivations++,
  });
  const verifier = Object.assign(counts, {
    sign: (key: string, data: string) => {
      counts.signs++;
      return real.sign(key, data);
    },
    verify: (key: string, data: string, record: unknown) => {
      counts.verifies++;
      return real.verify(key, data, record);
    },
  });
  const manager = createTokenManager({
    config,
    provider,
    cache,
    clock,
    verifier,
    logger: recordingLogger(),
    sleep: options.sleep ?? recordingSleep(),
    lockPollMs: 100,
  });
  return { manager, provider, verifier };
}

function shared(cache: TestCache) {
  return () => structuredClone([...cache.entries.values()].map((e) => e.value));
}

describe('a cached token is served only for the credential that obtained it', () => {
  it('password: a wrong password misses the cache, asks the identity platform and leaves the entry alone', async () => {
    const clock = fakeClock();
    const cache = testCache({ clock, lock: true });
    const good = peer(cache, clock);
    const token = await good.manager.getToken();
    const entries = shared(cache);
    const before = entries();

    const bad = peer(cache, clock, { password: WRONG_PASSWORD }, { script: [BAD_PASSWORD] });
    const error = await rejectionOf(bad.manager.getToken());
    expect(error).toMatchObject({ name: 'TokenError', code: 'TOKEN_INVALID_CLIENT_SECRET' });
    expect(bad.provider.calls).toHaveLength(1);
    expect(entries()).toEqual(before);
    await bad.manager.invalidate();
    expect(entries()).toEqual(before);

    // Another session with the right password still gets the cached token without a request.
    const again = peer(cache, clock);
    expect(await again.manager.getToken()).toEqual(token);
    expect(again.provider.calls).toHaveLength(0);
  });

  it('client credentials: a wrong client secret misses the cache', async () => {
    const clock = fakeClock();
    const cache = testCache({ clock });
    const app = { flow: 'client_credentials' as const };
    const token = await peer(cache, clock, app).manager.getToken();
    const bad = peer(cache, clock, { ...app, clientSecret: WRONG_SECRET }, { script: ['permanent'] });
    expect(await rejectionOf(bad.manager.getToken())).toMatchObject({ code: 'TOKEN_INVALID_CLIENT_SECRET' });
    expect(bad.provider.calls).toHaveLength(1);
    const again = peer(cache, clock, app);
    expect(await again.manager.getToken()).toEqual(token);
    expect(again.provider.calls).toHaveLength(0);
  });

  it('a caller that does obtain its own token replaces the entry (the identity platform decided)', async () => {
    const clock = fakeClock();
    const cache = testCache({ clock });
    await peer(cache, clock).manager.getToken();
    const before = shared(cache)();
    const changed = peer(cache, clock, { password: WRONG_PASSWORD });
    await changed.manager.getToken();
    expect(changed.provider.calls).toHaveLength(1);
    expect(shared(cache)()).not.toEqual(before);
    // Now the old password is the one that misses.
    const old = peer(cache, clock);
    await old.manager.getToken();
    expect(old.provider.calls).toHaveLength(1);
  });

  it('treats entries without a verifier (the earlier format), moved or spliced ones as misses', async () => {
    const clock = fakeClock();
    const cache = testCache({ clock });
    const good = peer(cache, clock);
    await good.manager.getToken();
    const [key, stored] = [...cache.entries.entries()][0]!;
    const value = stored.value as { token: { accessToken: string }; refreshAt: number; verifier: unknown };

    const cases = [
      { token: value.token, refreshAt: value.refreshAt },
      { ...value, token: { ...value.token, accessToken: 'eyJhbGciOiJub25lIn0.planted.x' } },
      { ...value, refreshAt: value.refreshAt + 1 },
    ];
    for (const planted of cases) {
      cache.entries.set(key, { ...stored, value: planted });
      const reader = peer(cache, clock);
      await reader.manager.getToken();
      expect(reader.provider.calls).toHaveLength(1);
    }
    // Under another key (another user), the entry does not verify either.
    const other = peer(cache, clock, { user: 'other@contoso.example' });
    cache.entries.set(other.manager.keyFor(), stored);
    await other.manager.getToken();
    expect(other.provider.calls).toHaveLength(1);
  });

  it('a waiter on the cross-process lock does not take the holder’s token for another credential', async () => {
    const clock = fakeClock();
    const cache = testCache({ clock, lock: true });
    const holder = peer(cache, clock, {}, { gated: true });
    const held = holder.manager.getToken();
    for (let tick = 0; tick < 50 && holder.provider.calls.length === 0; tick++) await Promise.resolve();
    // The waiter polls until the holder has written its token to the cache.
    const untilWritten = async () => {
      while (cache.entries.size === 0) await new Promise((resolve) => setImmediate(resolve));
    };
    const bad = peer(
      cache,
      clock,
      { password: WRONG_PASSWORD },
      { script: [BAD_PASSWORD], sleep: untilWritten },
    );
    const refused = bad.manager.getToken();
    holder.provider.release();
    const token = await held;
    expect(await rejectionOf(refused)).toMatchObject({ code: 'TOKEN_INVALID_CLIENT_SECRET' });
    expect(bad.provider.calls).toHaveLength(1);
    expect(bad.verifier.verifies).toBeGreaterThan(0);
    expect((await peer(cache, clock).manager.getToken()).accessToken).toBe(token.accessToken);
  });

  it('concurrent good and bad callers: the bad one fails, the good one succeeds, no shared request', async () => {
    const clock = fakeClock();
    const cache = testCache({ clock, lock: true });
    const good = peer(cache, clock);
    const bad = peer(cache, clock, { password: WRONG_PASSWORD }, { script: [BAD_PASSWORD] });
    const [ok, refused] = await Promise.allSettled([
      Promise.all(Array.from({ length: 20 }, () => good.manager.getToken())),
      Promise.all(Array.from({ length: 20 }, () => bad.manager.getToken())),
    ]);
    expect(ok.status).toBe('fulfilled');
    expect(refused).toMatchObject({ status: 'rejected', reason: { code: 'TOKEN_INVALID_CLIENT_SECRET' } });
    expect(good.provider.calls).toHaveLength(1);
    expect(bad.provider.calls).toHaveLength(1);
  });

  it('costs one scrypt per entry salt; a hit in session memory costs no verification at all', async () => {
    const clock = fakeClock();
    const cache = testCache({ clock });
    const writer = peer(cache, clock);
    await writer.manager.getToken();
    expect(writer.verifier.derivations).toBe(1);

    const reader = peer(cache, clock);
    await reader.manager.getToken();
    expect(reader.verifier).toMatchObject({ derivations: 1, verifies: 1 });
    for (let i = 0; i < 100; i++) await reader.manager.getToken();
    expect(reader.verifier).toMatchObject({ derivations: 1, verifies: 1, signs: 0 });

    // Refreshing later writes under the same salt: still one derivation.
    clock.advance(3_600_000);
    await reader.manager.getToken();
    expect(reader.verifier).toMatchObject({ derivations: 1, signs: 1 });
  });
});
