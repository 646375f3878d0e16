/**
 * The POP3 listener with clients nobody here wrote (Python's poplib, curl) in front and the sandbox
 * behind (pop3s, app-only tokens from the real MSAL client credentials flow).
 */
import type { Kalisto, KalistoSession } from '@kalisto/core';
import { type Sandbox, startSandbox } from '@kalisto/sandbox';
import { freePort } from '@kalisto/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPop3Proxy, type MailProxy } from '../src/proxy/index.js';
import {
  type ClientEvent,
  expectNoSecrets,
  kalistoFor,
  type LogSink,
  logSink,
  RELAY_PASSWORD,
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
let accounts: ReturnType<typeof relayAccounts>;
const log: LogSink = logSink();
const seen: string[] = [];
const DOWN = 'down@contoso.example';
const VIA_STLS = 'stls@contoso.example';

function inbox() {
  const folder = sandbox.store.mailbox(mailbox)?.folder('Inbox');
  if (folder === undefined) throw new Error('no Inbox');
  return folder;
}

function record(events: ClientEvent[]): ClientEvent[] {
  seen.push(...events.map((e) => JSON.stringify(e)));
  return events;
}

const plan = (steps: Record<string, unknown>[]) => ({ host: '127.0.0.1', port, steps });
const login = (password = RELAY_PASSWORD, user = mailbox) => ({ op: 'login', user, password });

beforeAll(async () => {
  sandbox = await startSandbox();
  kalisto = kalistoFor(log);
  mailbox = sandbox.properties['o365.user'] as string;
  // The sandbox's properties name imaps as the store protocol: the POP3 listener falls back to pop3s.
  session = kalisto.session(sandbox.properties);
  accounts = relayAccounts([
    { user: mailbox, password: RELAY_PASSWORD, session },
    {
      user: DOWN,
      password: RELAY_PASSWORD,
      session: kalisto.session({ ...sandbox.properties, 'mail.pop3s.port': String(await freePort()) }),
    },
    {
      // The store protocol names the plain port: the relay upgrades with STLS before XOAUTH2.
      user: VIA_STLS,
      password: RELAY_PASSWORD,
      session: kalisto.session({ ...sandbox.properties, 'mail.store.protocol': 'pop3' }),
    },
  ]);
  for (const [i, extra] of ['.', '..', '+OK not a status'].entries()) {
    inbox().append(trickyMessage(`relay pop3 ${i}`, extra));
  }
  proxy = createPop3Proxy({ port: 0, tls: { mode: 'none' }, logger: log.logger, ...accounts.options });
  port = (await proxy.listen()).port;
});

afterAll(async () => {
  await proxy?.close({ timeoutMs: 1000 });
  await kalisto?.close();
  await sandbox?.stop();
  expectNoSecrets([...log.lines, ...seen], [RELAY_PASSWORD, sandbox.fixtures.confidentialApp.secret]);
});

describe('POP3 listener, sandbox upstream', () => {
  it('python poplib: CAPA before login, USER/PASS, STAT, RETR every message byte-exact, UIDL; CAPA after login is the server’s', async () => {
    const messages = inbox().messages;
    const events = record(
      await runPython(
        'pop3',
        plan([
          { op: 'capa' },
          login(),
          { op: 'stat' },
          ...messages.map((_, i) => ({ op: 'retr', which: i + 1 })),
          { op: 'uidl' },
          { op: 'capa' },
          { op: 'quit' },
        ]),
      ),
    );
    const [before, after] = events.filter((e) => e.event === 'capa');
    expect(before?.capabilities).toEqual(
      expect.arrayContaining(['USER', 'SASL', 'TOP', 'UIDL', 'RESP-CODES']),
    );
    expect(before?.capabilities).not.toContain('PIPELINING');
    expect(events.find((e) => e.event === 'login')?.reply).toBe('+OK Logged in.');
    expect(events.find((e) => e.event === 'stat')).toMatchObject({ count: messages.length });
    const bodies = events
      .filter((e) => e.event === 'retr')
      .map((e) => Buffer.from(e.body as string, 'base64'));
    expect(bodies).toEqual(messages.map((m) => m.raw));
    expect(events.find((e) => e.event === 'uidl')?.lines).toHaveLength(messages.length);
    // After login CAPA goes to the mailbox server untouched: its own list (no USER/SASL PLAIN of ours).
    expect(after?.capabilities).not.toEqual(before?.capabilities);
    expect(after?.capabilities).not.toContain('IMPLEMENTATION');
    expect(events.find((e) => e.event === 'quit')?.reply).toMatch(/^\+OK/);
  });

  it('upstream over STLS (mail.store.protocol=pop3): login and RETR byte-exact', async () => {
    const events = record(
      await runPython('pop3', plan([login(RELAY_PASSWORD, VIA_STLS), { op: 'retr', which: 2 }])),
    );
    expect(events.find((e) => e.event === 'login')?.reply).toBe('+OK Logged in.');
    const body = events.find((e) => e.event === 'retr')?.body as string;
    expect(Buffer.from(body, 'base64')).toEqual(inbox().messages[1]?.raw);
  });

  it('curl: AUTH PLAIN with an initial response (--sasl-ir) and in the continuation form, RETR byte-exact', async () => {
    const first = inbox().messages[0];
    for (const saslIr of [true, false]) {
      const result = await runCurl([
        '--verbose',
        ...(saslIr ? ['--sasl-ir'] : []),
        '--user',
        `${mailbox}:${RELAY_PASSWORD}`,
        `pop3://127.0.0.1:${port}/1`,
      ]);
      expect(result.code).toBe(0);
      expect(result.stdout).toEqual(first?.raw);
      // curl's own trace shows which form it used.
      if (saslIr) expect(result.stderr).toMatch(/> AUTH PLAIN \S+/);
      else expect(result.stderr).toMatch(/> AUTH PLAIN\r?\n< \+/);
      seen.push(result.stderr.replace(/> (AUTH PLAIN ?|)[A-Za-z0-9+/=]{16,}/g, '> $1<payload>'));
    }
  });
});

describe('POP3 listener faults', () => {
  it('a wrong relay password: -ERR [AUTH]; the mailbox session is never asked and no token requested', async () => {
    const tokensBefore = tokenRequests(sandbox);
    const sessionsBefore = accounts.calls.sessionFor;
    const events = record(await runPython('pop3', plan([login('wrong')])));
    expect(events.find((e) => e.event === 'error')).toMatchObject({
      op: 'login',
      text: '-ERR [AUTH] Authentication failed.',
    });
    expect(accounts.calls.sessionFor).toBe(sessionsBefore);
    expect(tokenRequests(sandbox)).toBe(tokensBefore);
  });

  it('the mailbox server down: -ERR [SYS/TEMP] with a short text; the log has the code', async () => {
    const events = record(await runPython('pop3', plan([login(RELAY_PASSWORD, DOWN)])));
    expect(events.find((e) => e.event === 'error')?.text).toBe(
      '-ERR [SYS/TEMP] The mailbox server cannot be reached right now; try again later.',
    );
    expect(log.lines.find((l) => l.includes('RELAY_UPSTREAM_CONNECT_FAILED'))).toContain('mail.pop3s.host');
  });

  it('a revoked token: the server’s -ERR reaches the client; its next login gets a fresh token', async () => {
    record(await runPython('pop3', plan([login(), { op: 'quit' }])));
    const tokensBefore = tokenRequests(sandbox);
    const events = record(
      await runPython(
        'pop3',
        plan([login(), { op: 'wait' }, { op: 'stat' }, { op: 'reconnect' }, login(), { op: 'stat' }]),
        () => sandbox.hooks.revokeApp(sandbox.fixtures.confidentialApp.clientId),
      ),
    );
    expect(events.find((e) => e.event === 'error' && e.op === 'stat')?.text).toMatch(
      /^-ERR .*Session invalidated - (AccessTokenExpired|TokenRevoked)/,
    );
    expect(events.filter((e) => e.event === 'login').at(-1)?.reply).toBe('+OK Logged in.');
    expect(events.filter((e) => e.event === 'stat')).toHaveLength(1);
    expect(tokenRequests(sandbox)).toBe(tokensBefore + 1);
  });
});
