/**
 * POP3 telemetry against the sandbox under an in-memory OpenTelemetry SDK: command durations by
 * command (pipelined RETRs one point per batch), the TLS and SASL spans as children of core's
 * kalisto.mail.connect, reconnects, and nothing exported that holds a token, a password or the mailbox.
 */
import { text } from 'node:stream/consumers';
import { createKalisto, type Kalisto, type KalistoSession, type KalistoTelemetry } from '@kalisto/core';
import { noopTelemetry } from '@kalisto/core/plugin';
import { type Sandbox, startSandbox } from '@kalisto/sandbox';
import { type Front, resettingFront } from '@kalisto/test-support';
import { createInMemoryTelemetry, type InMemoryTelemetry } from '@kalisto/test-support/telemetry';
import { msalTokenProvider } from '@kalisto/token-msal';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connectPop3, type Pop3Client, pop3, pop3s } from '../src/index.js';
import { seedInbox, trickyMessage } from './helpers.js';

let sandbox: Sandbox;
let user: string;
let sdk: InMemoryTelemetry;
let kalisto: Kalisto;
let front: Front | undefined;
const sessions: KalistoSession[] = [];
/** Every value that must never be exported: secrets, passwords, every token issued. */
const secrets = new Set<string>();

beforeAll(async () => {
  sandbox = await startSandbox();
  user = sandbox.properties['o365.user'] as string;
  secrets.add(sandbox.fixtures.confidentialApp.secret);
  for (const fixture of Object.values(sandbox.fixtures.users)) secrets.add(fixture.password);
});
beforeEach(() => {
  sdk = createInMemoryTelemetry();
  kalisto = createKalisto({
    protocols: [pop3(), pop3s()],
    tokenProviders: [msalTokenProvider()],
    telemetry: { meterProvider: sdk.meterProvider, tracerProvider: sdk.tracerProvider },
  });
});
afterEach(async () => {
  for (const session of sessions.splice(0)) {
    const token = await session.tokens.getToken().catch(() => undefined);
    if (token) secrets.add(token.accessToken);
    await session.close();
  }
  await front?.close();
  front = undefined;
  await expectNothingSecretExported();
  await kalisto.close();
  await sdk.shutdown();
});
afterAll(async () => {
  await sandbox?.stop();
});

function openSession(overrides: Record<string, string> = {}): KalistoSession {
  const session = kalisto.session({ ...sandbox.properties, ...overrides });
  sessions.push(session);
  return session;
}

/** Points of kalisto.mail.command.duration by command (the count of recordings, summed). */
async function commandCounts(match: Record<string, string> = {}): Promise<Record<string, number>> {
  const metrics = await sdk.metrics();
  const counts: Record<string, number> = {};
  for (const point of metrics.points('kalisto.mail.command.duration')) {
    if (!Object.entries(match).every(([key, value]) => point.attributes[key] === value)) continue;
    const command = point.attributes['kalisto.mail.command'] as string;
    counts[command] = (counts[command] ?? 0) + point.value;
  }
  return counts;
}

async function expectNothingSecretExported(): Promise<void> {
  const metrics = await sdk.metrics();
  const texts = metrics.names.flatMap((name) =>
    metrics.points(name).flatMap((point) => [name, ...Object.values(point.attributes).map(String)]),
  );
  for (const span of sdk.spans()) {
    texts.push(span.name, span.status.message ?? '', ...Object.values(span.attributes).map(String));
    for (const event of span.events)
      texts.push(event.name, ...Object.values(event.attributes ?? {}).map(String));
  }
  expect(texts.length).toBeGreaterThan(0);
  for (const exported of texts) {
    for (const secret of secrets) expect(exported).not.toContain(secret);
    expect(exported).not.toContain(user);
    expect(exported).not.toContain(REFUSED_MAILBOX);
  }
}

type ReadableSpan = ReturnType<InMemoryTelemetry['spans']>[number];

const REFUSED_MAILBOX = 'nobody@contoso.example';

const parentOf = (span: ReadableSpan | undefined) => span?.parentSpanContext?.spanId;
const idOf = (span: ReadableSpan | undefined) => span?.spanContext().spanId;

describe.each(['pop3s', 'pop3'] as const)('%s', (protocol) => {
  it('times each command by name; the TLS handshake and the SASL exchange are children of kalisto.mail.connect', async () => {
    seedInbox(sandbox, user, [trickyMessage(1), trickyMessage(2), trickyMessage(3)]);
    const client: Pop3Client = await openSession().store(protocol);
    await client.stat();
    await client.list();
    await client.list(1);
    await client.uidl();
    await client.uidl(2);
    await client.top(1, 0);
    await client.retrBuffer(1);
    await text(client.retr(2));
    await client.dele(3);
    await client.noop();
    await client.quit();

    const on = { 'kalisto.protocol': protocol, 'kalisto.outcome': 'success' };
    expect(await commandCounts(on)).toEqual({ STAT: 1, LIST: 2, UIDL: 2, TOP: 1, RETR: 2, DELE: 1 });
    expect(await commandCounts()).toEqual(await commandCounts(on));

    const [connect, ...otherConnects] = sdk.spansNamed('kalisto.mail.connect');
    expect(otherConnects).toHaveLength(0);
    const [tls, ...otherTls] = sdk.spansNamed('kalisto.mail.tls');
    const [sasl, ...otherSasl] = sdk.spansNamed('kalisto.mail.sasl');
    expect([otherTls.length, otherSasl.length]).toEqual([0, 0]);
    expect(parentOf(tls)).toBe(idOf(connect));
    expect(parentOf(sasl)).toBe(idOf(connect));
    expect(tls?.attributes).toEqual({ 'kalisto.protocol': protocol, 'server.address': '127.0.0.1' });
    expect(sasl?.attributes).toEqual({ 'kalisto.protocol': protocol, 'kalisto.sasl.mechanism': 'XOAUTH2' });
    expect([tls?.status.code, sasl?.status.code]).toEqual([0, 0]);
  });
});

describe('pipelined retrieval', () => {
  it('10 RETRs in a window of 4 are 4 batches (4, 2, 2, 2): 4 RETR points; download adds its UIDL', async () => {
    seedInbox(
      sandbox,
      user,
      Array.from({ length: 10 }, (_, i) => trickyMessage(i)),
    );
    const client = await openSession().store('pop3s');
    expect(client.pipelining).toBe(true);
    let retrieved = 0;
    for await (const _ of client.retrMany([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], { window: 4 })) retrieved += 1;
    expect(retrieved).toBe(10);
    expect(await commandCounts()).toEqual({ RETR: 4 });

    expect(await client.download({ window: 4 })).toHaveLength(10);
    expect(await commandCounts({ 'kalisto.outcome': 'success' })).toEqual({ RETR: 8, UIDL: 1 });
    await client.quit();
  });

  it('a batch with a refused RETR is one failed RETR point (the batch), a refused DELE one failed DELE point', async () => {
    seedInbox(sandbox, user, [trickyMessage(1), trickyMessage(2)]);
    const client = await openSession().store('pop3s');
    const refused = await (async () => {
      for await (const _ of client.retrMany([1, 9, 2], { window: 4 })) {
        // consumed until the refused one throws
      }
    })().catch((error: unknown) => error);
    expect(refused).toMatchObject({ name: 'Pop3ReplyError', command: 'RETR' });
    await expect(client.dele(9)).rejects.toMatchObject({ command: 'DELE' });

    // A -ERR reply's Kalisto code is the failed point's error.type.
    expect(
      await commandCounts({ 'kalisto.outcome': 'failure', 'error.type': 'POP3_COMMAND_FAILED' }),
    ).toEqual({
      RETR: 1,
      DELE: 1,
    });
    expect(await commandCounts({ 'kalisto.outcome': 'success' })).toEqual({});
    await client.close();
  });
});

describe('refusals and reconnects', () => {
  it('a refused token: two failed SASL spans with the code under one failed connect, one token reconnect', async () => {
    const session = openSession({ 'mail.pop3s.user': REFUSED_MAILBOX });
    // The refused token; afterEach adds the renewed one to the secrets scanned for.
    secrets.add((await session.tokens.getToken()).accessToken);
    const error = await session.store('pop3s').catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'AuthenticationError', code: 'AUTH_TOKEN_REJECTED' });

    const [connect] = sdk.spansNamed('kalisto.mail.connect');
    const sasl = sdk.spansNamed('kalisto.mail.sasl');
    expect(sasl).toHaveLength(2);
    for (const span of sasl) {
      expect(parentOf(span)).toBe(idOf(connect));
      expect(span.status).toMatchObject({ code: 2, message: 'AUTH_TOKEN_REJECTED' });
      expect(span.attributes['error.type']).toBe('AUTH_TOKEN_REJECTED');
    }
    expect(sdk.spansNamed('kalisto.mail.tls')).toHaveLength(2);
    const metrics = await sdk.metrics();
    expect(metrics.total('kalisto.mail.reconnects', { 'kalisto.protocol': 'pop3s' })).toBe(1);
    expect(metrics.total('kalisto.mail.reconnects', { 'kalisto.reconnect.reason': 'token' })).toBe(1);
  });

  it('two connects reset before the greeting: two reset reconnects, then one TLS span and one login', async () => {
    front = await resettingFront(sandbox.endpoints.pop3s.port, 2);
    const client = await openSession({ 'mail.pop3s.port': String(front.port) }).store('pop3s');
    await client.quit();
    const metrics = await sdk.metrics();
    expect(metrics.total('kalisto.mail.reconnects', { 'kalisto.reconnect.reason': 'reset' })).toBe(2);
    expect(metrics.total('kalisto.mail.reconnects', { 'kalisto.protocol': 'pop3s' })).toBe(2);
    expect(sdk.spansNamed('kalisto.mail.tls')).toHaveLength(1);
    expect(sdk.spansNamed('kalisto.mail.sasl')).toHaveLength(1);
  });
});

describe('telemetry off', () => {
  it('a recorder with enabled false is never called: no attributes, timers or spans built', async () => {
    seedInbox(sandbox, user, [trickyMessage(1), trickyMessage(2)]);
    const calls: string[] = [];
    const spy = new Proxy(noopTelemetry, {
      get: (target, key) => {
        if (key === 'enabled') return false;
        calls.push(String(key));
        return Reflect.get(target, key);
      },
    }) as KalistoTelemetry;
    const session = openSession();
    const token = await session.tokens.getToken();
    const client = await connectPop3({
      host: '127.0.0.1',
      port: sandbox.endpoints.pop3s.port,
      ca: sandbox.properties['kalisto.tls.ca'] as string,
      telemetry: spy,
    });
    await client.authenticate({ user, accessToken: token.accessToken });
    await client.stat();
    await client.uidl();
    await client.retrBuffer(1);
    await text(client.retr(2));
    expect(await client.download({ window: 2 })).toHaveLength(2);
    await client.dele(1);
    await client.quit();
    expect(calls).toEqual([]);
  });
});
