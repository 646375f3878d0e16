/**
 * The IMAP and POP3 listeners in front of a server nobody here wrote: Debian's Dovecot, validating
 * the sandbox's delegated tokens (real MSAL password grant) by RFC 7662 introspection. App-only
 * tokens carry no user, so Dovecot's oauth2 passdb cannot map them to a mailbox: delegated only.
 */
import { chown, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Kalisto, KalistoSession } from '@kalisto/core';
import { type RunningDovecot, startDovecot } from '@kalisto/interop-servers';
import { type Sandbox, startSandbox } from '@kalisto/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImapProxy, createPop3Proxy, type MailProxy } from '../src/proxy/index.js';
import {
  type ClientEvent,
  expectNoSecrets,
  fetchedBodies,
  kalistoFor,
  type LogSink,
  logSink,
  RELAY_PASSWORD,
  relayAccounts,
  runPython,
  trickyMessage,
} from './proxy-fixtures.js';

let sandbox: Sandbox;
let dovecot: RunningDovecot;
let kalisto: Kalisto;
let session: KalistoSession;
let popSession: KalistoSession;
let user: string;
/** The POP3 tests read Megan's mailbox, which the IMAP tests leave alone. */
let popUser: string;
const log: LogSink = logSink();
const seen: string[] = [];
const proxies: MailProxy[] = [];
const delivered = [trickyMessage('dovecot pop3 1', '.'), trickyMessage('dovecot pop3 2', '..')];

function record(events: ClientEvent[]): ClientEvent[] {
  seen.push(...events.map((e) => JSON.stringify(e)));
  return events;
}

/** Puts `delivered` into the POP3 user's Maildir, as Postfix would. */
async function deliver(): Promise<void> {
  const root = join(dovecot.mailRoot, popUser);
  for (const sub of ['', 'new', 'cur', 'tmp']) {
    await mkdir(join(root, sub), { recursive: true });
    await chown(join(root, sub), dovecot.mailUid, dovecot.mailUid);
  }
  for (const [i, message] of delivered.entries()) {
    const file = join(root, 'new', `${1_700_000_000 + i}.M${i}P1.relay`);
    await writeFile(file, message);
    await chown(file, dovecot.mailUid, dovecot.mailUid);
  }
}

/** Delegated token requests the sandbox served (password grant, or MSAL's refresh token). */
function delegatedGrants(): number {
  const counts = sandbox.hooks.requestCounts();
  return (counts.password ?? 0) + (counts.refresh_token ?? 0);
}

async function listen(kind: 'imap' | 'pop3', upstream: string): Promise<number> {
  const accounts = relayAccounts(
    kind === 'imap'
      ? [{ user, password: RELAY_PASSWORD, session }]
      : [{ user: popUser, password: RELAY_PASSWORD, session: popSession }],
  );
  const create = kind === 'imap' ? createImapProxy : createPop3Proxy;
  const proxy = create({ port: 0, tls: { mode: 'none' }, upstream, logger: log.logger, ...accounts.options });
  proxies.push(proxy);
  return (await proxy.listen()).port;
}

beforeAll(async () => {
  sandbox = await startSandbox({ mail: false });
  dovecot = await startDovecot({
    introspectionUrl: sandbox.endpoints.introspectionUrl,
    ca: sandbox.ca,
    cert: sandbox.tls.cert,
    key: sandbox.tls.key,
  });
  const { adele, megan } = sandbox.fixtures.users;
  user = adele.upn;
  popUser = megan.upn;
  await deliver();
  kalisto = kalistoFor(log);
  const { 'o365.oauth.clientSecret': _secret, ...appless } = sandbox.properties;
  const endpoint = (protocol: string, port: number, implicitTls: boolean) => ({
    [`mail.${protocol}.host`]: '127.0.0.1',
    [`mail.${protocol}.port`]: String(port),
    [`mail.${protocol}.ssl.enable`]: String(implicitTls),
    [`mail.${protocol}.starttls.enable`]: String(!implicitTls),
  });
  const delegated = (who: { upn: string; password: string }) =>
    kalisto.session({
      ...appless,
      'o365.oauth.clientId': sandbox.fixtures.publicApp.clientId,
      'o365.oauth.flow': 'password',
      'o365.oauth.scope': 'https://outlook.office.com/IMAP.AccessAsUser.All offline_access',
      'o365.user': who.upn,
      'o365.password': who.password,
      ...endpoint('imap', dovecot.imap, false),
      ...endpoint('imaps', dovecot.imaps, true),
      ...endpoint('pop3', dovecot.pop3, false),
      ...endpoint('pop3s', dovecot.pop3s, true),
    });
  session = delegated(adele);
  popSession = delegated(megan);
});

afterAll(async () => {
  for (const proxy of proxies) await proxy.close({ timeoutMs: 1000 });
  await kalisto?.close();
  await dovecot?.stop();
  await sandbox?.stop();
  const { adele, megan } = sandbox.fixtures.users;
  expectNoSecrets([...log.lines, ...seen], [RELAY_PASSWORD, adele.password, megan.password]);
});

describe('IMAP listener, Dovecot upstream', () => {
  it.each(['imap', 'imaps'])(
    'upstream %s: python imaplib LOGIN, APPEND, FETCH back byte-exact; the OK carries Dovecot’s CAPABILITY',
    async (upstream) => {
      const port = await listen('imap', upstream);
      const message = trickyMessage(`through the relay to Dovecot over ${upstream}`);
      const events = record(
        await runPython('imap', {
          host: '127.0.0.1',
          port,
          steps: [
            { op: 'login', user, password: RELAY_PASSWORD },
            { op: 'append', message: message.toString('base64') },
            { op: 'select' },
            { op: 'fetch-all' },
            { op: 'logout' },
          ],
        }),
      );
      const loggedIn = events.find((e) => e.event === 'login');
      expect(loggedIn).toMatchObject({ typ: 'OK' });
      // Dovecot's own post-login list (it has ENABLE and IDLE; no STARTTLS after login).
      expect(loggedIn?.capability).toMatch(/\bENABLE\b.*\bIDLE\b|\bIDLE\b.*\bENABLE\b/);
      expect(events.find((e) => e.event === 'append')).toMatchObject({ typ: 'OK' });
      const bodies = fetchedBodies(events);
      expect(bodies.at(-1)).toEqual(message);
    },
  );

  it('Dovecot refusing a revoked token: the relay forces one fresh token and the client is in', async () => {
    const port = await listen('imap', 'imaps');
    const stale = await session.tokens.getToken();
    const claims = JSON.parse(Buffer.from(stale.accessToken.split('.')[1] as string, 'base64url').toString());
    sandbox.hooks.revokeToken(claims.jti);
    const before = delegatedGrants();
    const events = record(
      await runPython('imap', {
        host: '127.0.0.1',
        port,
        steps: [{ op: 'login', user, password: RELAY_PASSWORD }, { op: 'select' }],
      }),
    );
    expect(events.find((e) => e.event === 'login')).toMatchObject({ typ: 'OK' });
    expect(events.find((e) => e.event === 'select')).toMatchObject({ typ: 'OK' });
    expect(delegatedGrants()).toBe(before + 1);
  });
});

describe('POP3 listener, Dovecot upstream', () => {
  it.each(['pop3', 'pop3s'])(
    'upstream %s: python poplib USER/PASS, RETR every message byte-exact',
    async (upstream) => {
      const port = await listen('pop3', upstream);
      const events = record(
        await runPython('pop3', {
          host: '127.0.0.1',
          port,
          steps: [
            { op: 'login', user: popUser, password: RELAY_PASSWORD },
            { op: 'stat' },
            ...delivered.map((_, i) => ({ op: 'retr', which: i + 1 })),
            { op: 'capa' },
            { op: 'quit' },
          ],
        }),
      );
      expect(events.find((e) => e.event === 'login')?.reply).toBe('+OK Logged in.');
      expect(events.find((e) => e.event === 'stat')).toMatchObject({ count: delivered.length });
      const bodies = events
        .filter((e) => e.event === 'retr')
        .map((e) => Buffer.from(e.body as string, 'base64'));
      expect(bodies).toEqual(delivered);
      // After login CAPA is Dovecot's: it pipelines, so PIPELINING appears now.
      expect(events.find((e) => e.event === 'capa')?.capabilities).toContain('PIPELINING');
    },
  );
});
