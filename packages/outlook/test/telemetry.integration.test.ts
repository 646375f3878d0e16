/**
 * A scripted run on the sandbox with OpenTelemetry's SDK in memory: the documented metrics and spans
 * come out with values that match the run (12 logins → 1 token request), failures are counted with
 * their Kalisto code and AADSTS number, and nothing exported holds a secret, a token or the mailbox.
 */

// Not a devDependency of this package (yet): its source, with ioredis resolved from its own folder.
import { redisCache } from '@kalisto/cache-redis';
import type { KalistoSession } from '@kalisto/core';
import { type Sandbox, startSandbox } from '@kalisto/sandbox';
import { claimsOf, startRedisServer } from '@kalisto/test-support';
import { createInMemoryTelemetry, type InMemoryTelemetry } from '@kalisto/test-support/telemetry';
import type { ImapFlow } from 'imapflow';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createOutlook } from '../src/index.js';

let sandbox: Sandbox;
let sdk: InMemoryTelemetry;
const sessions: KalistoSession[] = [];
/** Every value that must never be exported: the config's secrets and every token seen. */
const secrets = new Set<string>();

beforeAll(async () => {
  sandbox = await startSandbox();
  secrets.add(sandbox.fixtures.confidentialApp.secret);
  for (const user of Object.values(sandbox.fixtures.users)) secrets.add(user.password);
});
beforeEach(() => {
  sdk = createInMemoryTelemetry();
  sandbox.hooks.resetRequestCounts();
});
afterEach(async () => {
  for (const session of sessions.splice(0)) {
    await rememberToken(session);
    await session.close();
  }
  await expectNothingSecretExported();
  await sdk.shutdown();
});
afterAll(async () => {
  await sandbox?.stop();
});

function outlook(options: Parameters<typeof createOutlook>[0] = {}) {
  return createOutlook({
    ...options,
    telemetry: { meterProvider: sdk.meterProvider, tracerProvider: sdk.tracerProvider },
  });
}

function open(kalisto: ReturnType<typeof createOutlook>, overrides: Record<string, string> = {}) {
  const session = kalisto.session({ ...sandbox.properties, ...overrides });
  sessions.push(session);
  for (const value of Object.values(overrides)) if (value.length >= 8) secrets.add(value);
  return session;
}

async function rememberToken(session: KalistoSession): Promise<void> {
  const token = await session.tokens.getToken().catch(() => undefined);
  if (token) secrets.add(token.accessToken);
}

/** Every attribute value, span name, event and status message exported so far, as text. */
async function exportedText(): Promise<string[]> {
  const metrics = await sdk.metrics();
  const texts = metrics.names.flatMap((name) =>
    metrics.points(name).flatMap((point) => [name, ...Object.values(point.attributes).map(String)]),
  );
  for (const span of sdk.spans()) {
    texts.push(span.name, span.status.message ?? '', ...Object.values(span.attributes).map(String));
    for (const event of span.events)
      texts.push(event.name, ...Object.values(event.attributes ?? {}).map(String));
  }
  return texts;
}

async function expectNothingSecretExported(): Promise<void> {
  const texts = await exportedText();
  expect(texts.length).toBeGreaterThan(0);
  const upn = sandbox.fixtures.users.adele.upn;
  for (const text of texts) {
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).not.toContain(upn);
  }
}

const IMAPS = { 'kalisto.protocol': 'imaps' };

describe('a scripted sandbox run, recorded by an in-memory OpenTelemetry SDK', () => {
  it('12 IMAP logins: 12 acquisitions and 12 logins, 1 token request, 1 kalisto.token.acquire span', async () => {
    const session = open(outlook());
    const clients: ImapFlow[] = [];
    for (let i = 0; i < 12; i++) clients.push(await session.store('imaps'));

    let metrics = await sdk.metrics();
    expect(metrics.points('kalisto.token.requests')).toEqual([
      {
        value: 1,
        attributes: {
          'kalisto.token.provider': 'msal',
          'kalisto.token.flow': 'client_credentials',
          'kalisto.outcome': 'success',
        },
      },
    ]);
    expect(sandbox.hooks.requestCounts().client_credentials).toBe(1);
    expect(metrics.total('kalisto.token.acquisitions')).toBe(12);
    expect(metrics.total('kalisto.token.acquisitions', { 'kalisto.token.source': 'provider' })).toBe(1);
    expect(metrics.total('kalisto.token.acquisitions', { 'kalisto.token.source': 'memory' })).toBe(11);
    expect(metrics.points('kalisto.mail.logins')).toEqual([
      { value: 12, attributes: { ...IMAPS, 'kalisto.outcome': 'success' } },
    ]);
    const [connect] = metrics.points('kalisto.mail.connect.duration');
    expect(connect).toMatchObject({
      value: 12,
      attributes: { ...IMAPS, 'server.address': sandbox.endpoints.imaps.host, 'kalisto.outcome': 'success' },
    });
    expect(metrics.total('kalisto.mail.connections', IMAPS)).toBe(12);
    // The memory cache: a miss, the lock, a miss again under it, the token stored, the lock released.
    const cacheCalls = metrics
      .points('kalisto.cache.operations')
      .map(({ value, attributes }) => [
        attributes['kalisto.cache.operation'],
        attributes['kalisto.cache.result'],
        value,
      ]);
    expect(cacheCalls.sort()).toEqual([
      ['get', 'miss', 2],
      ['lock', 'ok', 1],
      ['set', 'ok', 1],
      ['unlock', 'ok', 1],
    ]);
    expect(metrics.points('kalisto.cache.operations')[0]?.attributes['kalisto.cache.backend']).toBe('memory');

    for (const client of clients) await client.logout();
    await expect.poll(async () => (await sdk.metrics()).total('kalisto.mail.connections', IMAPS)).toBe(0);

    const connects = sdk.spansNamed('kalisto.mail.connect');
    expect(connects).toHaveLength(12);
    expect(connects[0]?.attributes).toEqual({
      ...IMAPS,
      'server.address': sandbox.endpoints.imaps.host,
      'server.port': sandbox.endpoints.imaps.port,
    });
    const acquires = sdk.spansNamed('kalisto.token.acquire');
    expect(acquires).toHaveLength(1);
    expect(acquires[0]?.attributes).toEqual({
      'kalisto.token.provider': 'msal',
      'kalisto.token.flow': 'client_credentials',
      'kalisto.token.source': 'provider',
    });
    const parent = acquires[0]?.parentSpanContext?.spanId;
    expect(connects.map((span) => span.spanContext().spanId)).toContain(parent);
    expect(acquires[0]?.spanContext().traceId).toBe(
      connects.find((span) => span.spanContext().spanId === parent)?.spanContext().traceId,
    );
    metrics = await sdk.metrics();
    expect(metrics.total('kalisto.mail.reconnects')).toBe(0);
  });

  it('a wrong client secret: the request and the login fail with TOKEN_INVALID_CLIENT_SECRET and AADSTS7000215', async () => {
    const session = open(outlook(), { 'o365.oauth.clientSecret': 'not-the-secret-of-this-app' });
    await expect(session.store('imaps')).rejects.toMatchObject({ code: 'TOKEN_INVALID_CLIENT_SECRET' });

    const metrics = await sdk.metrics();
    expect(metrics.points('kalisto.token.requests')).toEqual([
      {
        value: 1,
        attributes: {
          'kalisto.token.provider': 'msal',
          'kalisto.token.flow': 'client_credentials',
          'kalisto.outcome': 'failure',
          'error.type': 'TOKEN_INVALID_CLIENT_SECRET',
          'kalisto.aadsts': '7000215',
        },
      },
    ]);
    expect(metrics.points('kalisto.mail.logins')).toEqual([
      {
        value: 1,
        attributes: {
          ...IMAPS,
          'kalisto.outcome': 'failure',
          'error.type': 'TOKEN_INVALID_CLIENT_SECRET',
          'kalisto.aadsts': '7000215',
        },
      },
    ]);
    expect(metrics.total('kalisto.token.acquisitions')).toBe(0);
    expect(metrics.total('kalisto.mail.connections')).toBe(0);

    const [connect] = sdk.spansNamed('kalisto.mail.connect');
    const [acquire] = sdk.spansNamed('kalisto.token.acquire');
    expect(connect?.status).toEqual({ code: 2, message: 'TOKEN_INVALID_CLIENT_SECRET' });
    expect(acquire?.status).toEqual({ code: 2, message: 'TOKEN_INVALID_CLIENT_SECRET' });
    expect(acquire?.attributes).toMatchObject({
      'error.type': 'TOKEN_INVALID_CLIENT_SECRET',
      'kalisto.aadsts': '7000215',
    });
    expect(acquire?.parentSpanContext?.spanId).toBe(connect?.spanContext().spanId);
  });

  it('a throttled token endpoint (429, Retry-After): one failed request counted as TOKEN_THROTTLED, the retry succeeds', async () => {
    sandbox.hooks.injectFault({ status: 429, retryAfterSeconds: 1 }, 1);
    const session = open(outlook());
    const client = await session.store('imaps');
    await client.logout();

    const metrics = await sdk.metrics();
    const requests = metrics.points('kalisto.token.requests');
    expect(requests).toHaveLength(2);
    expect(requests).toContainEqual({
      value: 1,
      attributes: {
        'kalisto.token.provider': 'msal',
        'kalisto.token.flow': 'client_credentials',
        'kalisto.outcome': 'failure',
        'error.type': 'TOKEN_THROTTLED',
        'kalisto.aadsts': '90055',
      },
    });
    expect(metrics.total('kalisto.token.requests', { 'kalisto.outcome': 'success' })).toBe(1);
    expect(metrics.total('kalisto.mail.logins', { 'kalisto.outcome': 'success' })).toBe(1);
    expect(sdk.spansNamed('kalisto.token.acquire')[0]?.status.code).not.toBe(2);
  });

  it('a revoked token: the login is refused, the token renewed once (a reconnect), the second login succeeds', async () => {
    const session = open(outlook());
    const first = await session.store('imaps');
    await first.logout();
    const revoked = await session.tokens.getToken();
    secrets.add(revoked.accessToken);
    sandbox.hooks.revokeToken(String(claimsOf(revoked.accessToken).jti));

    const second = await session.store('imaps');
    await second.logout();

    const metrics = await sdk.metrics();
    expect(metrics.points('kalisto.mail.reconnects')).toEqual([
      { value: 1, attributes: { ...IMAPS, 'kalisto.reconnect.reason': 'token' } },
    ]);
    expect(metrics.total('kalisto.token.requests', { 'kalisto.outcome': 'success' })).toBe(2);
    expect(metrics.total('kalisto.token.acquisitions', { 'kalisto.token.source': 'provider' })).toBe(2);
    expect(metrics.points('kalisto.mail.logins')).toEqual([
      { value: 2, attributes: { ...IMAPS, 'kalisto.outcome': 'success' } },
    ]);
    // The second connect span holds the forced renewal as its child.
    const connects = sdk.spansNamed('kalisto.mail.connect');
    const renewal = sdk.spansNamed('kalisto.token.acquire')[1];
    expect(renewal?.parentSpanContext?.spanId).toBe(connects[1]?.spanContext().spanId);
  });

  it('Redis down: each failed cache call is counted as an error of the redis backend, and mail still works', async () => {
    const redis = await startRedisServer();
    const cache = redisCache({ url: redis.url, commandTimeoutMs: 2_000, connectTimeoutMs: 2_000 });
    try {
      const kalisto = outlook({ cache, tokenManager: { cacheTimeoutMs: 3_000 } });
      const before = await open(kalisto).store('imaps');
      await before.logout();
      let metrics = await sdk.metrics();
      expect(metrics.total('kalisto.cache.operations', { 'kalisto.cache.backend': 'redis' })).toBeGreaterThan(
        0,
      );
      expect(metrics.total('kalisto.cache.operations', { 'kalisto.cache.result': 'error' })).toBe(0);

      await redis.kill();
      // A new session has nothing in memory: it asks the cache, which is down, then the identity platform.
      const after = await open(kalisto).store('imaps');
      await after.logout();

      metrics = await sdk.metrics();
      expect(
        metrics.total('kalisto.cache.operations', {
          'kalisto.cache.backend': 'redis',
          'kalisto.cache.operation': 'get',
          'kalisto.cache.result': 'error',
        }),
      ).toBeGreaterThanOrEqual(1);
      expect(metrics.total('kalisto.mail.logins', { 'kalisto.outcome': 'success' })).toBe(2);
      expect(metrics.total('kalisto.token.requests', { 'kalisto.outcome': 'success' })).toBe(2);
    } finally {
      await redis.kill().catch(() => {});
    }
  });
});
