// Issue 12, expiry warnings: the certificate's expiry read from its PEM (MSAL still signs with the
// bundle), and a persisted refresh token idle past 80 days redeemed on the next request. Real
// msal-node against the sandbox, the refresh token persisted in a real encrypted cache file.
import { randomBytes, X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileCache } from '@kalisto/cache-file';
import type { KalistoTelemetry } from '@kalisto/core';
import { type CredentialExpiryReading, noopTelemetry, type TokenProvider } from '@kalisto/core/plugin';
import type { Sandbox } from '@kalisto/sandbox';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { msalCacheKey, msalTokenProvider } from '../src/index.js';
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
let dir: string;
const open: TokenProvider[] = [];

beforeAll(async () => {
  sandbox = await startTestSandbox({ mail: false });
  dir = await mkdtemp(join(tmpdir(), 'kalisto-expiry-'));
});
afterEach(async () => {
  for (const provider of open.splice(0)) await provider.close?.();
  sandbox.hooks.resetRequestCounts();
});
afterAll(async () => {
  await sandbox?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
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

describe('credential expiry in the msal provider', () => {
  it("reads the certificate's expiry from the key's PEM, signs with it, and reports it on the gauge", async () => {
    const certificate = sandbox.fixtures.confidentialApp.certificate;
    const { telemetry, read } = expiryReadings();
    const provider = msalTokenProvider({ noProxy: '' }).create({
      config: sandboxConfig(sandbox, {
        'o365.oauth.clientSecret': '',
        'o365.oauth.certificate.thumbprint': certificate.thumbprint,
        'o365.oauth.certificate.privateKey': `${certificate.certificate}\n${certificate.privateKey}`,
      }),
      cache: undefined,
      logger: recordingLogger(),
      telemetry,
    });
    open.push(provider);
    await provider.getToken({ scopes: [APP_SCOPE] });
    expect(sandbox.hooks.requestCounts().client_credentials).toBe(1);

    const before = Date.now();
    const points = read();
    const after = Date.now();
    const notAfter = Date.parse(new X509Certificate(certificate.certificate).validTo);
    expect(points).toEqual([expect.objectContaining({ kind: 'certificate', provider: 'msal' })]);
    const seconds = points[0]!.secondsLeft;
    expect(seconds).toBeGreaterThanOrEqual(Math.round((notAfter - after) / 1000));
    expect(seconds).toBeLessThanOrEqual(Math.round((notAfter - before) / 1000));
    await provider.close?.();
    expect(read()).toEqual([]);
  });

  it('redeems a persisted refresh token idle for 85 days on the next request, renewing it', async () => {
    const { adele } = sandbox.fixtures.users;
    const path = join(dir, `${randomBytes(6).toString('hex')}.json`);
    const cache = fileCache({ path, encryptionKey: randomBytes(32).toString('hex') });
    const config = sandboxConfig(sandbox, {
      ...publicAppProperties(sandbox, 'password', adele.upn),
      'o365.oauth.scope': `${IMAP_SCOPE} offline_access`,
      'o365.password': adele.password,
    });
    const session = () => {
      const logger = recordingLogger();
      const provider = msalTokenProvider({ noProxy: '' }).create({ config, cache, logger });
      open.push(provider);
      return { provider, logger };
    };
    const scopes = [IMAP_SCOPE, 'offline_access'];

    await session().provider.getToken({ scopes });
    expect(sandbox.hooks.requestCounts()).toMatchObject({ password: 1, refresh_token: 0 });
    const key = msalCacheKey({
      authority: config.oauth.authority,
      clientId: config.oauth.clientId,
      user: adele.upn,
    });
    const entry = await cache.get<{ refreshedAt: number }>(key!);
    expect(entry?.refreshedAt).toBeGreaterThan(Date.now() - DAY);

    // A fresh one is not redeemed early: the next process gets MSAL's cached access token.
    await session().provider.getToken({ scopes });
    expect(sandbox.hooks.requestCounts()).toMatchObject({ password: 1, refresh_token: 0 });

    // 85 days idle: the next process redeems it (though the access token is still cached), renewing it.
    const idleSince = Date.now() - 85 * DAY;
    await cache.set(key!, { ...entry, refreshedAt: idleSince }, 90 * DAY);
    const { provider, logger } = session();
    await provider.getToken({ scopes });
    expect(sandbox.hooks.requestCounts()).toMatchObject({ password: 1, refresh_token: 1 });
    const renewed = await cache.get<{ refreshedAt: number }>(key!);
    expect(renewed!.refreshedAt).toBeGreaterThan(idleSince + 80 * DAY);
    expect(logger.lines).toContainEqual(
      expect.objectContaining({ level: 'info', obj: expect.objectContaining({ idleDays: 85 }) }),
    );
  });
});
