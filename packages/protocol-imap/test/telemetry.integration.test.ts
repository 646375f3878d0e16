/**
 * The IMAP provider's own telemetry on the sandbox, under an in-memory OpenTelemetry SDK: command
 * durations counted per command, the TLS handshake and SASL exchange as children of core's
 * `kalisto.mail.connect` (implicit TLS and STARTTLS), watch renewals and reconnects, and nothing
 * exported that holds a secret, a token or the mailbox address.
 */
import type { Socket } from 'node:net';
import { createKalisto, type Kalisto, type KalistoSession } from '@kalisto/core';
import { type Sandbox, startSandbox } from '@kalisto/sandbox';
import { createInMemoryTelemetry, type InMemoryTelemetry } from '@kalisto/test-support/telemetry';
import { msalTokenProvider } from '@kalisto/token-msal';
import type { ImapFlow } from 'imapflow';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { imap, imaps, type WatchHandle, watch } from '../src/index.js';
import { message } from './helpers.js';

const WAIT = { timeout: 20_000, interval: 25 };
const COMMANDS = 'kalisto.mail.command.duration';

let sandbox: Sandbox;
let sdk: InMemoryTelemetry;
let kalisto: Kalisto;
let session: KalistoSession;
let watcher: WatchHandle | undefined;

beforeEach(async () => {
  sandbox = await startSandbox();
  sdk = createInMemoryTelemetry();
  kalisto = createKalisto({
    protocols: [imap(), imaps()],
    tokenProviders: [msalTokenProvider()],
    telemetry: { meterProvider: sdk.meterProvider, tracerProvider: sdk.tracerProvider },
  });
  session = kalisto.session(sandbox.properties);
});
afterEach(async () => {
  await watcher?.stop();
  watcher = undefined;
  const token = await session.tokens.getToken().catch(() => undefined);
  await kalisto.close();
  await expectNothingSecretExported(token?.accessToken);
  await sdk.shutdown();
  await sandbox.stop();
});

/** Every metric attribute, span name, attribute and status message: none holds a secret or the mailbox. */
async function expectNothingSecretExported(accessToken: string | undefined): Promise<void> {
  const metrics = await sdk.metrics();
  const texts = metrics.names.flatMap((name) =>
    metrics.points(name).flatMap((point) => [name, ...Object.values(point.attributes).map(String)]),
  );
  for (const span of sdk.spans()) {
    texts.push(span.name, span.status.message ?? '', ...Object.values(span.attributes).map(String));
  }
  const secrets = [
    sandbox.properties['o365.oauth.clientSecret'] as string,
    sandbox.properties['o365.user'] as string,
    ...(accessToken ? [accessToken] : []),
  ];
  expect(texts.length).toBeGreaterThan(0);
  for (const text of texts) {
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
  }
}

const commandsOf = async (protocol: string, command: string) =>
  (await sdk.metrics()).total(COMMANDS, { 'kalisto.protocol': protocol, 'kalisto.mail.command': command });

/** One `name` span per connect, each the child of one, in the same order. */
function expectOnePerConnect(name: string): void {
  const connects = sdk.spansNamed('kalisto.mail.connect');
  const spans = sdk.spansNamed(name);
  expect(spans.map((span) => span.parentSpanContext?.spanId)).toEqual(
    connects.map((connect) => connect.spanContext().spanId),
  );
  expect(spans.map((span) => span.attributes['kalisto.protocol'])).toEqual(
    connects.map((connect) => connect.attributes['kalisto.protocol']),
  );
}

describe('IMAP telemetry', () => {
  it('counts each command once by name: 3 fetchOne → 3 FETCH, and SELECT, SEARCH, STORE, MOVE, EXPUNGE', async () => {
    const user = sandbox.properties['o365.user'] as string;
    for (const subject of ['one', 'two', 'three']) sandbox.store.deliver([user], message(subject));
    const client = await session.store('imaps');
    await client.mailboxOpen('INBOX');
    const uids = (await client.search({ all: true }, { uid: true })) || [];
    expect(uids).toHaveLength(3);
    for (const uid of uids) await client.fetchOne(String(uid), { envelope: true }, { uid: true });
    await client.messageFlagsAdd(String(uids[0]), ['\\Seen'], { uid: true });
    await client.messageMove(String(uids[1]), 'Archive', { uid: true }).catch(() => undefined);
    await client.messageDelete(String(uids[2]), { uid: true });
    await client.logout();

    expect(await commandsOf('imaps', 'FETCH')).toBe(3);
    expect(await commandsOf('imaps', 'SELECT')).toBe(1);
    expect(await commandsOf('imaps', 'SEARCH')).toBe(1);
    expect(await commandsOf('imaps', 'MOVE')).toBe(1);
    // messageDelete is a STORE \Deleted and an EXPUNGE.
    expect(await commandsOf('imaps', 'STORE')).toBe(2);
    expect(await commandsOf('imaps', 'EXPUNGE')).toBe(1);
    // Connect-time commands belong to kalisto.mail.connect, not to the command durations.
    const recorded = new Set(
      (await sdk.metrics()).points(COMMANDS).map((p) => p.attributes['kalisto.mail.command']),
    );
    expect(recorded.has('AUTHENTICATE')).toBe(false);
    expect(recorded.has('CAPABILITY')).toBe(false);
  });

  it('implicit TLS (imaps) and STARTTLS (imap): kalisto.mail.tls and kalisto.mail.sasl under kalisto.mail.connect', async () => {
    await (await session.store('imaps')).logout();
    await (await session.store('imap')).logout();
    expect(sdk.spansNamed('kalisto.mail.connect').map((s) => s.attributes['kalisto.protocol'])).toEqual([
      'imaps',
      'imap',
    ]);
    expectOnePerConnect('kalisto.mail.tls');
    expectOnePerConnect('kalisto.mail.sasl');
    for (const sasl of sdk.spansNamed('kalisto.mail.sasl')) {
      expect(sasl.attributes['kalisto.sasl.mechanism']).toBe('XOAUTH2');
    }
    // The handshake ends before the SASL exchange begins (span order, not durations).
    const [tls, sasl] = [sdk.spansNamed('kalisto.mail.tls')[0], sdk.spansNamed('kalisto.mail.sasl')[0]];
    expect(tls?.endTime[0] ?? 0).toBeLessThanOrEqual(sasl?.startTime[0] ?? 0);
  });

  it('a refused token: the SASL span fails with its code, the retried login has its own', async () => {
    const first = await session.tokens.getToken();
    sandbox.hooks.revokeToken(
      JSON.parse(Buffer.from(first.accessToken.split('.')[1] as string, 'base64url').toString()).jti,
    );
    await (await session.store('imaps')).logout();
    const sasl = sdk.spansNamed('kalisto.mail.sasl');
    expect(sasl).toHaveLength(2);
    expect(sasl[0]?.status.code).toBe(2);
    expect(sasl[0]?.attributes['error.type']).toMatch(/^[A-Z_]+$/);
    expect(sasl[1]?.status.code).not.toBe(2);
  });

  it('watch(): each periodic IDLE break is one renewal, followed by one catch-up SEARCH', async () => {
    watcher = watch(session, 'INBOX', () => {}, { protocol: 'imaps', checkIntervalMs: 100 });
    await vi.waitFor(async () => {
      const renewals = (await sdk.metrics()).total('kalisto.mail.watch.renewals', {
        'kalisto.protocol': 'imaps',
      });
      expect(renewals).toBeGreaterThanOrEqual(2);
    }, WAIT);
    await watcher.stop();
    const metrics = await sdk.metrics();
    const renewals = metrics.total('kalisto.mail.watch.renewals', { 'kalisto.outcome': 'success' });
    // One SEARCH at the first catch-up, one after each renewal; no message came, so nothing else.
    expect(await commandsOf('imaps', 'SEARCH')).toBe(1 + renewals);
    expect(await commandsOf('imaps', 'IDLE')).toBeGreaterThanOrEqual(renewals);
    expect(metrics.total('kalisto.mail.reconnects', { 'kalisto.reconnect.reason': 'watch' })).toBe(0);
  });

  it('watch(): a dropped connection is 1 reconnect and 1 kalisto.mail.watch.reconnect span, parent of its connect', async () => {
    const user = sandbox.properties['o365.user'] as string;
    const subjects: string[] = [];
    let client: ImapFlow | undefined;
    watcher = watch(
      session,
      'INBOX',
      (msg, context) => {
        client = context.client;
        subjects.push((msg.source as Buffer).toString('latin1').match(/^Subject: (.*)$/m)?.[1] ?? '');
      },
      { protocol: 'imaps', backoff: { initialMs: 20, maxMs: 200 } },
    );
    await vi.waitFor(() => expect(watcher?.position()).toBeDefined(), WAIT);
    sandbox.store.deliver([user], message('before the drop'));
    await vi.waitFor(() => expect(subjects).toHaveLength(1), WAIT);
    (client as unknown as { socket: Socket }).socket.destroy();
    sandbox.store.deliver([user], message('after the drop'));
    await vi.waitFor(() => expect(subjects).toEqual(['before the drop', 'after the drop']), WAIT);
    await watcher.stop();

    const metrics = await sdk.metrics();
    expect(
      metrics.total('kalisto.mail.reconnects', {
        'kalisto.protocol': 'imaps',
        'kalisto.reconnect.reason': 'watch',
      }),
    ).toBe(1);
    const [reconnect, ...more] = sdk.spansNamed('kalisto.mail.watch.reconnect');
    expect(more).toHaveLength(0);
    expect(reconnect?.attributes['kalisto.protocol']).toBe('imaps');
    const connects = sdk.spansNamed('kalisto.mail.connect');
    expect(connects).toHaveLength(2);
    expect(connects[1]?.parentSpanContext?.spanId).toBe(reconnect?.spanContext().spanId);
    expect(connects[0]?.parentSpanContext?.spanId).toBeUndefined();
  });
});
