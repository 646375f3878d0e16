/**
 * The Graph providers' own telemetry on the sandbox, under an in-memory OpenTelemetry SDK: one
 * point per Graph call by operation name (never its URL), throttled attempts visible as failures
 * before the success, a refused token as one `token` reconnect, delta rounds as watch renewals and a
 * failed round's successor as one watch reconnect in its span; nothing exported holds a secret, a
 * token, a mailbox address, an id or an upload URL.
 */
import { randomBytes } from 'node:crypto';
import { createKalisto, type Kalisto, type KalistoSession } from '@kalisto/core';
import { type Sandbox, startSandbox } from '@kalisto/sandbox';
import { createInMemoryTelemetry, type InMemoryTelemetry } from '@kalisto/test-support/telemetry';
import { msalTokenProvider } from '@kalisto/token-msal';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type GraphMailbox, graph } from '../src/index.js';
import { eventually, rawMessage } from './helpers.js';

const COMMANDS = 'kalisto.mail.command.duration';
const CALL_NAMES = new Set([
  'getFolder',
  'listFolders',
  'listMessages',
  'getMessage',
  'getMime',
  'moveMessage',
  'deleteMessage',
  'updateMessage',
  'delta',
  'sendMail',
  'createDraft',
  'addAttachment',
  'createUploadSession',
  'uploadRange',
  'sendDraft',
]);

let sandbox: Sandbox;
let sdk: InMemoryTelemetry;
let kalisto: Kalisto;
let session: KalistoSession;
let user: string;

beforeEach(async () => {
  sandbox = await startSandbox();
  sdk = createInMemoryTelemetry();
  kalisto = createKalisto({
    protocols: graph(),
    tokenProviders: [msalTokenProvider()],
    telemetry: { meterProvider: sdk.meterProvider, tracerProvider: sdk.tracerProvider },
  });
  user = sandbox.properties['o365.user'] as string;
  session = kalisto.session({
    ...sandbox.properties,
    'mail.graph.host': sandbox.endpoints.graph.host,
    'mail.graph.port': String(sandbox.endpoints.graph.port),
  });
});
afterEach(async () => {
  const tokens = [
    await session.tokens.getToken().catch(() => undefined),
    await session.tokens
      .getToken({ scopes: ['https://graph.microsoft.com/.default'] })
      .catch(() => undefined),
  ];
  await session.close();
  await kalisto.close();
  await expectNothingSecretExported(tokens.flatMap((token) => (token ? [token.accessToken] : [])));
  await sdk.shutdown();
  await sandbox.stop();
});

async function expectNothingSecretExported(accessTokens: string[]): Promise<void> {
  const metrics = await sdk.metrics();
  const texts = metrics.names.flatMap((name) =>
    metrics.points(name).flatMap((point) => [name, ...Object.values(point.attributes).map(String)]),
  );
  for (const span of sdk.spans()) {
    texts.push(span.name, span.status.message ?? '', ...Object.values(span.attributes).map(String));
  }
  const secrets = [sandbox.fixtures.confidentialApp.secret, user, ...accessTokens];
  expect(texts.length).toBeGreaterThan(0);
  for (const text of texts) {
    for (const secret of secrets) expect(text).not.toContain(secret);
    // No URL, path, id or upload session: Graph's ids are long opaque runs, upload URLs carry authtoken.
    expect(text).not.toMatch(/https?:|\/|authtoken|AttachmentSessions|eyJ[A-Za-z0-9_-]{10,}/i);
  }
  for (const point of metrics.points(COMMANDS)) {
    expect(CALL_NAMES.has(String(point.attributes['kalisto.mail.command']))).toBe(true);
  }
}

const calls = async (name: string, outcome?: 'success' | 'failure') =>
  (await sdk.metrics()).total(COMMANDS, {
    'kalisto.protocol': 'graph',
    'kalisto.mail.command': name,
    ...(outcome && { 'kalisto.outcome': outcome }),
  });

describe('Graph telemetry', () => {
  it('one point per call by name: open, 1 listMessages page, 3 getMime', async () => {
    for (const subject of ['one', 'two', 'three'])
      sandbox.store.deliver([user], rawMessage(user, user, subject));
    const mailbox: GraphMailbox = await session.store('graph');
    const ids: string[] = [];
    for await (const page of mailbox.messages('inbox')) ids.push(...page.map((m) => m.id));
    expect(ids).toHaveLength(3);
    for (const id of ids) await mailbox.source(id);

    expect(await calls('getFolder', 'success')).toBe(1);
    expect(await calls('listMessages', 'success')).toBe(1);
    expect(await calls('getMime', 'success')).toBe(3);
    expect((await sdk.metrics()).total(COMMANDS, { 'kalisto.outcome': 'failure' })).toBe(0);
  });

  it('429 twice then accepted: 2 failed sendMail points and 1 success; an upload session stays unnamed', async () => {
    const transport = await session.transport('graph');
    sandbox.hooks.graph.throttle(user, { times: 2, retryAfterSeconds: 0 });
    await transport.sendMail({ from: user, to: user, subject: 'throttled', text: 'x' });
    expect(await calls('sendMail', 'failure')).toBe(2);
    expect(await calls('sendMail', 'success')).toBe(1);

    await transport.sendMail({
      from: user,
      to: user,
      subject: 'large',
      text: 'See the attachment.',
      attachments: [{ filename: 'large.bin', content: randomBytes(3_500_000) }],
    });
    expect(await calls('createDraft', 'success')).toBe(1);
    expect(await calls('createUploadSession', 'success')).toBe(1);
    expect(await calls('uploadRange', 'success')).toBe(2);
    expect(await calls('sendDraft', 'success')).toBe(1);
  });

  it('a refused token: one failed call, one token reconnect, then the call succeeds', async () => {
    const mailbox: GraphMailbox = await session.store('graph');
    const token = await mailbox.client.token();
    const jti = JSON.parse(
      Buffer.from(token.accessToken.split('.')[1] as string, 'base64url').toString(),
    ).jti;
    sandbox.hooks.revokeToken(jti);
    for await (const _page of mailbox.messages('inbox')) break;
    expect(await calls('listMessages', 'failure')).toBe(1);
    expect(await calls('listMessages', 'success')).toBe(1);
    const metrics = await sdk.metrics();
    expect(
      metrics.total('kalisto.mail.reconnects', {
        'kalisto.protocol': 'graph',
        'kalisto.reconnect.reason': 'token',
      }),
    ).toBe(1);
  });

  it('watch(): each delta round is a renewal; a failed round is followed by 1 reconnect in its span', async () => {
    const mailbox: GraphMailbox = await session.store('graph');
    const delivered: string[] = [];
    const watcher = mailbox.watch('inbox', (message) => void delivered.push(message.subject ?? ''), {
      pollIntervalMs: 20,
      backoff: { initialMs: 1, maxMs: 20 },
    });
    await eventually(() => watcher.position()?.deltaLink !== undefined);
    // The next round's first request fails past the client's retries (503 each time).
    sandbox.hooks.graph.throttle(user, { times: 20, status: 503, retryAfterSeconds: 0 });
    await eventually(async () => (await sdk.metrics()).total('kalisto.mail.reconnects') >= 1);
    sandbox.store.deliver([user], rawMessage(user, user, 'after the failure'));
    await eventually(() => delivered.includes('after the failure'));
    await watcher.stop();

    const metrics = await sdk.metrics();
    const failed = metrics.total('kalisto.mail.watch.renewals', { 'kalisto.outcome': 'failure' });
    const reconnects = metrics.total('kalisto.mail.reconnects', { 'kalisto.reconnect.reason': 'watch' });
    expect(failed).toBeGreaterThanOrEqual(1);
    // Every failed round but the last before a success is itself a failed reconnect.
    expect(reconnects).toBe(failed);
    const spans = sdk.spansNamed('kalisto.mail.watch.reconnect');
    expect(spans).toHaveLength(reconnects);
    expect(spans.filter((span) => span.status.code !== 2)).toHaveLength(1);
    expect(
      metrics.total('kalisto.mail.watch.renewals', { 'kalisto.outcome': 'success' }),
    ).toBeGreaterThanOrEqual(2);
    expect(await calls('delta', 'failure')).toBeGreaterThanOrEqual(1);
  });
});
