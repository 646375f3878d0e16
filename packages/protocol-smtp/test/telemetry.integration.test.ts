/**
 * The SMTP providers' own telemetry on the sandbox, under an in-memory OpenTelemetry SDK: one `send`
 * and one `DATA` point per message taken (pooled or not), a refused send counted as a failure with
 * no DATA time, a token refused at a send counted as one `token` reconnect, and nothing exported
 * that holds a secret, a token or a mailbox address.
 */
import { createKalisto, type Kalisto, type KalistoSession } from '@kalisto/core';
import { type Sandbox, startSandbox } from '@kalisto/sandbox';
// Not a devDependency of this package: its source, with the OpenTelemetry SDK resolved from its own folder.
import { createInMemoryTelemetry, type InMemoryTelemetry } from '@kalisto/test-support/telemetry';
import { msalTokenProvider } from '@kalisto/token-msal';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { smtp, smtps } from '../src/index.js';
import { jtiOf, rawMessage } from './helpers.js';

const COMMANDS = 'kalisto.mail.command.duration';

let sandbox: Sandbox;
let sdk: InMemoryTelemetry;
let kalisto: Kalisto;
const sessions: KalistoSession[] = [];
const secrets = new Set<string>();

beforeEach(async () => {
  sandbox = await startSandbox();
  sdk = createInMemoryTelemetry();
  kalisto = createKalisto({
    protocols: [smtp(), smtps()],
    tokenProviders: [msalTokenProvider()],
    telemetry: { meterProvider: sdk.meterProvider, tracerProvider: sdk.tracerProvider },
  });
  secrets.add(sandbox.fixtures.confidentialApp.secret);
  for (const user of Object.values(sandbox.fixtures.users)) {
    secrets.add(user.password);
    secrets.add(user.upn);
  }
});
afterEach(async () => {
  for (const session of sessions.splice(0)) {
    const token = await session.tokens.getToken().catch(() => undefined);
    if (token) secrets.add(token.accessToken);
    await session.close();
  }
  await kalisto.close();
  await expectNothingSecretExported();
  await sdk.shutdown();
  await sandbox.stop();
});

function open(overrides: Record<string, string> = {}): KalistoSession {
  const session = kalisto.session({ ...sandbox.properties, ...overrides });
  sessions.push(session);
  return session;
}

async function expectNothingSecretExported(): Promise<void> {
  const metrics = await sdk.metrics();
  const texts = metrics.names.flatMap((name) =>
    metrics.points(name).flatMap((point) => [name, ...Object.values(point.attributes).map(String)]),
  );
  for (const span of sdk.spans()) {
    texts.push(span.name, span.status.message ?? '', ...Object.values(span.attributes).map(String));
  }
  expect(texts.length).toBeGreaterThan(0);
  for (const text of texts) {
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
  }
}

const commands = async (match: Record<string, string>) => (await sdk.metrics()).total(COMMANDS, match);

describe('SMTP telemetry', () => {
  it.each([
    ['smtp', {}],
    ['smtps', {}],
    ['smtp', { 'mail.smtp.pool.enable': 'true' }],
  ] as const)(
    '%s %o: 3 messages are 3 send and 3 DATA points, all successes',
    async (protocol, overrides) => {
      const { adele, megan } = sandbox.fixtures.users;
      const transport = await open(overrides).transport(protocol);
      await Promise.all(
        [1, 2, 3].map((n) =>
          transport.sendMail({
            envelope: { from: adele.upn, to: [megan.upn] },
            raw: rawMessage(adele.upn, megan.upn, `telemetry ${n}`),
          }),
        ),
      );
      const at = { 'kalisto.protocol': protocol };
      expect(await commands({ ...at, 'kalisto.mail.command': 'send', 'kalisto.outcome': 'success' })).toBe(3);
      expect(await commands({ ...at, 'kalisto.mail.command': 'DATA', 'kalisto.outcome': 'success' })).toBe(3);
      expect(await commands({ 'kalisto.outcome': 'failure' })).toBe(0);
      expect((await sdk.metrics()).total('kalisto.mail.logins', at)).toBe(1);
    },
  );

  it('a refused send: one failed send, no DATA time', async () => {
    const { adele, megan } = sandbox.fixtures.users;
    const shared = sandbox.fixtures.sharedMailbox;
    secrets.add(shared);
    const transport = await open({
      'o365.oauth.flow': 'password',
      'o365.oauth.clientId': sandbox.fixtures.publicApp.clientId,
      'o365.oauth.clientSecret': '',
      'o365.oauth.scope': 'https://outlook.office.com/SMTP.Send',
      'o365.user': adele.upn,
      'o365.password': adele.password,
      'mail.smtp.user': adele.upn,
    }).transport('smtp');
    await expect(
      transport.sendMail({
        envelope: { from: shared, to: [megan.upn] },
        raw: rawMessage(shared, megan.upn, 'x'),
      }),
    ).rejects.toMatchObject({ code: 'SEND_AS_DENIED' });

    const failed = (await sdk.metrics())
      .points(COMMANDS)
      .filter((point) => point.attributes['kalisto.outcome'] === 'failure');
    expect(failed.map((point) => point.attributes)).toEqual([
      {
        'kalisto.protocol': 'smtp',
        'kalisto.mail.command': 'send',
        'kalisto.outcome': 'failure',
        'error.type': 'SEND_AS_DENIED',
      },
    ]);
    expect(await commands({ 'kalisto.mail.command': 'DATA' })).toBe(0);
  });

  it('a token revoked before a send: 1 token reconnect, and the send succeeds', async () => {
    const { adele, megan } = sandbox.fixtures.users;
    const session = open();
    const transport = await session.transport('smtp');
    const revoked = await session.tokens.getToken();
    secrets.add(revoked.accessToken);
    sandbox.hooks.revokeToken(jtiOf(revoked.accessToken));

    await transport.sendMail({
      envelope: { from: adele.upn, to: [megan.upn] },
      raw: rawMessage(adele.upn, megan.upn, 'after revocation'),
    });

    const metrics = await sdk.metrics();
    expect(
      metrics.total('kalisto.mail.reconnects', {
        'kalisto.protocol': 'smtp',
        'kalisto.reconnect.reason': 'token',
      }),
    ).toBe(1);
    expect(await commands({ 'kalisto.mail.command': 'send', 'kalisto.outcome': 'success' })).toBe(1);
  });
});
