/**
 * The IMAP listener with clients nobody here wrote (Python's imaplib, curl, imapflow) in front and
 * the sandbox behind (app-only tokens from the real MSAL client credentials flow).
 */

import type { AddressInfo } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import type { Kalisto, KalistoSession } from '@kalisto/core';
import { createSandboxTls, type Sandbox, startSandbox } from '@kalisto/sandbox';
import { freePort } from '@kalisto/test-support';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImapProxy, type MailProxy } from '../src/proxy/index.js';
import {
  type ClientEvent,
  expectNoSecrets,
  fetchedBodies,
  kalistoFor,
  type LogSink,
  logSink,
  RELAY_PASSWORD,
  rawClient,
  relayAccounts,
  runCurl,
  runPython,
  tokenRequests,
  trickyMessage,
} from './proxy-fixtures.js';

let sandbox: Sandbox;
let kalisto: Kalisto;
let proxy: MailProxy;
let port: number;
let mailbox: string;
let session: KalistoSession;
const log: LogSink = logSink();
/** Every line a client saw, for the secret scan. */
const seen: string[] = [];
let accounts: ReturnType<typeof relayAccounts>;
const DOWN = 'down@contoso.example';
/** A password typed into the user field: a refused user name is never logged. */
const MISTYPED = 'Password-typed-as-user 9';
const VIA_STARTTLS = 'starttls@contoso.example';
const UNTRUSTED = 'untrusted@contoso.example';
const NOT_GRANTED = 'adele-via-megan@contoso.example';

function inbox() {
  const folder = sandbox.store.mailbox(mailbox)?.folder('Inbox');
  if (folder === undefined) throw new Error('no Inbox');
  return folder;
}

function record(events: ClientEvent[]): ClientEvent[] {
  seen.push(...events.map((e) => JSON.stringify(e)));
  return events;
}

/** What the server with the untrusted certificate received after the TLS handshake. */
let untrustedReceived = '';
let untrusted: TlsServer | undefined;

/** An implicit-TLS server with a certificate from a CA nobody trusts; it greets like IMAP. */
async function untrustedServer(): Promise<number> {
  const foreign = await createSandboxTls();
  untrusted = createTlsServer({ key: foreign.key, cert: foreign.cert }, (socket) => {
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      untrustedReceived += chunk.toString();
    });
    socket.write('* OK IMAP4rev1 ready\r\n');
  });
  untrusted.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => untrusted?.listen(0, '127.0.0.1', resolve));
  return (untrusted.address() as AddressInfo).port;
}

const plan = (steps: Record<string, unknown>[], extra: Record<string, unknown> = {}) => ({
  host: '127.0.0.1',
  port,
  steps,
  ...extra,
});
const login = (password = RELAY_PASSWORD, user = mailbox) => ({ op: 'login', user, password });

beforeAll(async () => {
  sandbox = await startSandbox();
  kalisto = kalistoFor(log);
  mailbox = sandbox.properties['o365.user'] as string;
  session = kalisto.session(sandbox.properties);
  const megan = sandbox.fixtures.users.megan;
  const { 'o365.oauth.clientSecret': _secret, ...appless } = sandbox.properties;
  accounts = relayAccounts([
    { user: mailbox, password: RELAY_PASSWORD, session },
    {
      user: DOWN,
      password: RELAY_PASSWORD,
      session: kalisto.session({ ...sandbox.properties, 'mail.imaps.port': String(await freePort()) }),
    },
    {
      // The store protocol names the plain port: the relay upgrades with STARTTLS before XOAUTH2.
      user: VIA_STARTTLS,
      password: RELAY_PASSWORD,
      session: kalisto.session({ ...sandbox.properties, 'mail.store.protocol': 'imap' }),
    },
    {
      // A server whose certificate no trusted CA signed: the relay must refuse it before any token.
      user: UNTRUSTED,
      password: RELAY_PASSWORD,
      session: kalisto.session({ ...sandbox.properties, 'mail.imaps.port': String(await untrustedServer()) }),
    },
    {
      // Megan's delegated token for Adele's mailbox: Exchange's "authenticated but not connected".
      user: NOT_GRANTED,
      password: RELAY_PASSWORD,
      session: kalisto.session({
        ...appless,
        'o365.oauth.clientId': sandbox.fixtures.publicApp.clientId,
        'o365.oauth.flow': 'password',
        'o365.oauth.scope': 'https://outlook.office.com/IMAP.AccessAsUser.All',
        'o365.user': megan.upn,
        'o365.password': megan.password,
        'mail.imaps.user': mailbox,
      }),
    },
  ]);
  for (const [i, extra] of ['', '.', '* 3 EXISTS'].entries()) {
    inbox().append(trickyMessage(`relay imap ${i}`, extra));
  }
  proxy = createImapProxy({ port: 0, tls: { mode: 'none' }, logger: log.logger, ...accounts.options });
  port = (await proxy.listen()).port;
});

afterAll(async () => {
  await proxy?.close({ timeoutMs: 1000 });
  untrusted?.close();
  await kalisto?.close();
  await sandbox?.stop();
  expectNoSecrets(log.lines, [MISTYPED]);
  expectNoSecrets(
    [...log.lines, ...seen],
    [RELAY_PASSWORD, sandbox.fixtures.confidentialApp.secret, sandbox.fixtures.users.megan.password],
  );
});

describe('IMAP listener, sandbox upstream', () => {
  it('python imaplib: LOGIN, SELECT, FETCH every body byte-exact; the OK carries the upstream CAPABILITY', async () => {
    const events = record(
      await runPython('imap', plan([login(), { op: 'select' }, { op: 'fetch-all' }, { op: 'logout' }])),
    );
    const connected = events.find((e) => e.event === 'connected');
    expect(connected?.capabilities).toEqual(expect.arrayContaining(['IMAP4REV1', 'AUTH=PLAIN', 'SASL-IR']));
    expect(connected?.greeting).toContain('Kalisto relay');
    const loggedIn = events.find((e) => e.event === 'login');
    expect(loggedIn).toMatchObject({ typ: 'OK' });
    // The sandbox's own post-login capabilities (IDLE, MOVE), not the relay's pre-login list.
    expect(loggedIn?.capability).toMatch(/\bIDLE\b/);
    expect(loggedIn?.capability).toMatch(/\bMOVE\b/);
    expect(loggedIn?.capability).not.toMatch(/AUTH=PLAIN/);
    expect(events.find((e) => e.event === 'select')).toMatchObject({
      typ: 'OK',
      exists: inbox().messages.length,
    });
    expect(fetchedBodies(events)).toEqual(inbox().messages.map((m) => m.raw));
    expect(events.find((e) => e.event === 'logout')).toMatchObject({ typ: 'BYE' });
  });

  it('python imaplib: AUTHENTICATE PLAIN (continuation form), then IDLE pushes EXISTS for a new message; DONE ends it', async () => {
    const before = inbox().messages.length;
    const events = record(
      await runPython(
        'imap',
        plan([
          { op: 'authenticate-plain', user: mailbox, password: RELAY_PASSWORD },
          { op: 'select' },
          { op: 'idle' },
          { op: 'logout' },
        ]),
        () => {
          sandbox.store.deliver([mailbox], trickyMessage('delivered during IDLE'));
        },
      ),
    );
    expect(events.find((e) => e.event === 'login')).toMatchObject({ typ: 'OK' });
    expect(events.find((e) => e.event === 'idle-started')?.reply).toMatch(/^\+/);
    const idle = events.find((e) => e.event === 'idle');
    expect(idle?.exists).toBe(`* ${before + 1} EXISTS`);
    expect(idle?.done).toMatch(/^\S+ OK/);
  });

  it('upstream over STARTTLS (mail.store.protocol=imap): login and FETCH byte-exact', async () => {
    const events = record(
      await runPython(
        'imap',
        plan([login(RELAY_PASSWORD, VIA_STARTTLS), { op: 'select' }, { op: 'fetch-all' }]),
      ),
    );
    expect(events.find((e) => e.event === 'login')).toMatchObject({ typ: 'OK' });
    expect(fetchedBodies(events)).toEqual(inbox().messages.map((m) => m.raw));
  });

  it('curl: LIST, and FETCH of one message by UID byte-exact', async () => {
    const list = await runCurl(['--user', `${mailbox}:${RELAY_PASSWORD}`, `imap://127.0.0.1:${port}/`]);
    expect(list.code).toBe(0);
    expect(list.stdout.toString()).toMatch(/\* LIST .*"INBOX"\r\n[\s\S]*"Sent Items"/);
    const first = inbox().messages[0];
    const fetch = await runCurl([
      '--user',
      `${mailbox}:${RELAY_PASSWORD}`,
      `imap://127.0.0.1:${port}/Inbox;UID=${first?.uid}`,
    ]);
    expect(fetch.code).toBe(0);
    expect(fetch.stdout).toEqual(first?.raw);
    seen.push(list.stdout.toString(), list.stderr, fetch.stderr);
  });

  it('imapflow: AUTHENTICATE PLAIN with SASL-IR, folders and a message source byte-exact', async () => {
    const client = new ImapFlow({
      host: '127.0.0.1',
      port,
      secure: false,
      auth: { user: mailbox, pass: RELAY_PASSWORD, loginMethod: 'AUTH=PLAIN' },
      logger: false,
    });
    await client.connect();
    try {
      expect(client.capabilities.has('IDLE')).toBe(true);
      const folders = (await client.list()).map((f) => f.path);
      expect(folders).toEqual(expect.arrayContaining(['INBOX', 'Sent Items']));
      const lock = await client.getMailboxLock('INBOX');
      try {
        const last = inbox().messages.at(-1);
        const message = await client.fetchOne(String(last?.uid), { source: true }, { uid: true });
        expect(message === false ? undefined : message.source).toEqual(last?.raw);
      } finally {
        lock.release();
      }
    } finally {
      await client.logout();
    }
  });

  it('LOGIN with literal strings (synchronising and non-synchronising) logs in', async () => {
    const client = await rawClient(port);
    await client.until(/^\* OK .*\r\n/);
    const user = Buffer.from(mailbox);
    client.send(`a1 LOGIN {${user.length}}\r\n`);
    await client.until(/\+ .*\r\n/);
    client.send(`${mailbox} {${Buffer.byteLength(RELAY_PASSWORD)}+}\r\n${RELAY_PASSWORD}\r\n`);
    const reply = await client.until(/a1 (OK|NO|BAD).*\r\n/);
    expect(reply).toMatch(/a1 OK \[CAPABILITY [^\]]*IDLE[^\]]*\] Logged in\.\r\n/);
    client.send('a2 LOGOUT\r\n');
    expect(await client.closed()).toMatch(/a2 OK/);
    seen.push(reply);
  });

  it('commands sent ahead of the login reply reach the mailbox server after it', async () => {
    const client = await rawClient(port);
    await client.until(/^\* OK .*\r\n/);
    client.send(
      `a1 LOGIN "${mailbox}" "${RELAY_PASSWORD.replace(/"/g, '\\"')}"\r\na2 SELECT INBOX\r\na3 LOGOUT\r\n`,
    );
    const all = await client.closed();
    expect(all).toMatch(/a1 OK .*\r\n[\s\S]*a2 OK \[READ-WRITE\][\s\S]*a3 OK/);
    seen.push(all);
  });
});

describe('IMAP listener faults', () => {
  it('a wrong relay password: NO [AUTHENTICATIONFAILED]; the mailbox session is never asked and no token requested', async () => {
    const tokensBefore = tokenRequests(sandbox);
    const sessionsBefore = accounts.calls.sessionFor;
    const events = record(
      await runPython('imap', plan([login('wrong password'), login(RELAY_PASSWORD, MISTYPED)])),
    );
    expect(events.find((e) => e.event === 'error')).toMatchObject({
      op: 'login',
      kind: 'error',
      text: expect.stringContaining('[AUTHENTICATIONFAILED] Authentication failed.'),
    });
    expect(accounts.calls.sessionFor).toBe(sessionsBefore);
    expect(tokenRequests(sandbox)).toBe(tokensBefore);
  });

  it('three wrong passwords on one connection end it with BYE', async () => {
    const client = await rawClient(port);
    await client.until(/^\* OK .*\r\n/);
    for (const tag of ['a1', 'a2', 'a3']) client.send(`${tag} LOGIN ${mailbox} nope\r\n`);
    const all = await client.closed();
    expect(all.match(/NO \[AUTHENTICATIONFAILED\]/g)).toHaveLength(3);
    expect(all).toContain('* BYE Too many failed logins.');
  });

  it('the mailbox server down: NO [UNAVAILABLE] with a short text; the log has the code and the fix', async () => {
    const events = record(await runPython('imap', plan([login(RELAY_PASSWORD, DOWN)])));
    const error = events.find((e) => e.event === 'error');
    expect(error?.text).toContain(
      '[UNAVAILABLE] The mailbox server cannot be reached right now; try again later.',
    );
    const logged = log.lines.find((l) => l.includes('RELAY_UPSTREAM_CONNECT_FAILED'));
    expect(logged).toContain('ECONNREFUSED');
    expect(logged).toContain('mail.imaps.host');
  });

  it('an upstream certificate the session does not trust: NO [UNAVAILABLE]; no token travels', async () => {
    const events = record(await runPython('imap', plan([login(RELAY_PASSWORD, UNTRUSTED)])));
    expect(events.find((e) => e.event === 'error')?.text).toContain('[UNAVAILABLE]');
    expect(log.lines.find((l) => l.includes('RELAY_UPSTREAM_TLS_FAILED'))).toContain('kalisto.tls.ca');
    expect(untrustedReceived).toBe('');
  });

  it("a mailbox the token's identity may not open: NO [AUTHORIZATIONFAILED], before the client thinks it is in", async () => {
    const events = record(await runPython('imap', plan([login(RELAY_PASSWORD, NOT_GRANTED)])));
    expect(events.find((e) => e.event === 'error')?.text).toContain('[AUTHORIZATIONFAILED]');
    expect(log.lines.find((l) => l.includes('AUTH_MAILBOX_NOT_CONNECTED'))).toBeDefined();
  });

  it('BYE AccessTokenExpired from the mailbox server reaches the client; its next login gets a fresh token', async () => {
    // Warm: the session holds a token before the revocation.
    record(await runPython('imap', plan([login(), { op: 'logout' }])));
    const tokensBefore = tokenRequests(sandbox);
    const events = record(
      await runPython(
        'imap',
        plan([
          login(),
          { op: 'select' },
          { op: 'wait' },
          { op: 'noop' },
          { op: 'reconnect' },
          login(),
          { op: 'select' },
        ]),
        () => sandbox.hooks.revokeApp(sandbox.fixtures.confidentialApp.clientId),
      ),
    );
    const bye = events.find((e) => e.event === 'error' && e.op === 'noop');
    expect(bye).toMatchObject({
      kind: 'abort',
      text: expect.stringContaining('Session invalidated - AccessTokenExpired'),
    });
    const logins = events.filter((e) => e.event === 'login');
    expect(logins).toHaveLength(2);
    expect(logins[1]).toMatchObject({ typ: 'OK' });
    expect(events.filter((e) => e.event === 'select').at(-1)).toMatchObject({ typ: 'OK' });
    // The cached token was refused once, forgotten, and exactly one fresh one was requested.
    expect(tokenRequests(sandbox)).toBe(tokensBefore + 1);
  });
});
