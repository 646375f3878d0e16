// Issue 12, expiry warnings through the oauth2 provider against the sandbox: a client secret near its
// configured expiry is warned about once, not on every request; a stored refresh token's age is
// tracked, and one the platform could not renew (unreachable) is reported with its days left.
import type { CacheBackend, KalistoTelemetry } from '@kalisto/core';
import { type CredentialExpiryReading, noopTelemetry, type TokenProvider } from '@kalisto/core/plugin';
import type { Sandbox } from '@kalisto/sandbox';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { oauth2TokenProvider, refreshTokenKey } from '../src/index.js';
import {
  APP_SCOPE,
  IMAP_SCOPE,
  publicAppProperties,
  recordingLogger,
  sandboxConfig,
  startTestSandbox,
} from './support.js';

const DAY = 86_400_000;
let sandbox: Sandbox;
const open: TokenProvider[] = [];

beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterEach(async () => {
  for (const provider of open.splice(0)) await provider.close?.();
  sandbox.hooks.resetRequestCounts();
  sandbox.hooks.clearFaults();
});
afterAll(async () => {
  await sandbox?.stop();
});

/** The session telemetry's expiry readers, read as a metric collection would (the SDK side is core's test). */
function expiryReadings(): { telemetry: KalistoTelemetry; read: () => CredentialExpiryReading[] } {
  const readers = new Set<() => readonly CredentialExpiryReading[]>();
  const telemetry: KalistoTelemetry = {
    ...noopTelemetry,
    observeCredentialExpiry(read) {
      readers.add(read);
      return () => readers.delete(read);
    },
  };
  return { telemetry, read: () => [...readers].flatMap((read) => read()) };
}

describe('credential expiry in the oauth2 provider', () => {
  it('warns about a client secret expiring in 20 days once, never with the secret', async () => {
    const expires = new Date(Date.now() + 20 * DAY).toISOString().slice(0, 10);
    const logger = recordingLogger();
    const { telemetry, read } = expiryReadings();
    const config = sandboxConfig(sandbox, { 'o365.oauth.clientSecret.expires': expires });
    const provider = oauth2TokenProvider({ noProxy: '' }).create({
      config,
      cache: undefined,
      logger,
      telemetry,
    });
    open.push(provider);
    await provider.getToken({ scopes: [APP_SCOPE] });
    await provider.getToken({ scopes: [APP_SCOPE] });

    const warnings = logger.lines.filter((l) => l.level === 'warn');
    expect(warnings).toEqual([
      expect.objectContaining({
        msg: expect.stringMatching(/^Client secret of app .* expires in (19|20) days/),
        obj: expect.objectContaining({ credential: 'client_secret', provider: 'oauth2' }),
      }),
    ]);
    expect(JSON.stringify(logger.lines)).not.toContain(config.oauth.clientSecret!.reveal());
    expect(read()).toEqual([expect.objectContaining({ kind: 'client_secret', provider: 'oauth2' })]);
  });

  it('tracks the stored refresh token; one not renewed (platform unreachable) is reported with its days left', async () => {
    const { adele } = sandbox.fixtures.users;
    const entries = new Map<string, unknown>();
    const cache: CacheBackend = {
      name: 'map',
      get: async <T>(key: string) => structuredClone(entries.get(key)) as T | undefined,
      set: async (key, value) => void entries.set(key, structuredClone(value)),
      delete: async (key) => void entries.delete(key),
    };
    const properties = {
      ...publicAppProperties(sandbox, 'password', adele.upn),
      'o365.oauth.scope': `${IMAP_SCOPE} offline_access`,
      'o365.password': adele.password,
    };
    const scopes = [IMAP_SCOPE, 'offline_access'];
    // A refresh token from elsewhere (here: a password sign-in without a cache), then imported.
    const signIn = oauth2TokenProvider({ noProxy: '' }).create({
      config: sandboxConfig(sandbox, properties),
      cache: undefined,
      logger: recordingLogger(),
    });
    open.push(signIn);
    await signIn.getToken({ scopes });
    const imported = [...sandbox.state.refreshTokens.keys()].at(-1)!;

    const refreshConfig = sandboxConfig(sandbox, {
      ...properties,
      'o365.password': '',
      'o365.oauth.flow': 'refresh_token',
    });
    const session = (logger = recordingLogger()) => {
      const { telemetry, read } = expiryReadings();
      const provider = oauth2TokenProvider({ noProxy: '', refreshToken: imported }).create({
        config: refreshConfig,
        cache,
        logger,
        telemetry,
      });
      open.push(provider);
      return { provider, read, logger };
    };
    const first = session();
    await first.provider.getToken({ scopes });
    const [reading] = first.read();
    expect(reading).toMatchObject({ kind: 'refresh_token', provider: 'oauth2' });
    expect(reading!.secondsLeft).toBeGreaterThan(89 * 86_400);

    // The stored (rotated) refresh token was issued 84½ days ago, and the platform is unreachable.
    const key = refreshTokenKey({
      tokenUrl: refreshConfig.oauth.tokenUrl,
      clientId: refreshConfig.oauth.clientId,
      user: adele.upn,
    });
    const stored = entries.get(key) as { storedAt: number };
    entries.set(key, { ...stored, storedAt: Date.now() - 84.5 * DAY });
    const second = session();
    sandbox.hooks.injectFault({ status: 503 }, 10);
    await expect(second.provider.getToken({ scopes })).rejects.toMatchObject({ transient: true });
    expect(second.logger.lines).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        msg: expect.stringContaining(`Refresh token of ${adele.upn} dies of inactivity in 5 days`),
      }),
    );
    expect(JSON.stringify(second.logger.lines)).not.toContain(imported);
  });
});
