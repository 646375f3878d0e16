import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MailStore, RunningMailServer } from '../src/contracts.js';
import { createMailStore } from '../src/mail-store.js';
import { type Pop3Behaviour, POP3_REPLIES as R, startPop3Server } from '../src/pop3/index.js';
import { createSandboxTls, type SandboxTls } from '../src/tls.js';
import { fakeVerifier, RawPop3Client, xoauth2 } from './pop3-smtp-fixtures.js';

const ALICE = 'alice@contoso.com';
const MESSAGES = [
  Buffer.from(
    'From: bob@contoso.com\r\nTo: alice@contoso.com\r\nSubject: first\r\n\r\nHello\r\n.\r\n..two dots\r\n',
  ),
  Buffer.from('From: bob@contoso.com\r\nSubject: second\r\n\r\n\xe9t\xe9 8-bit\r\nlast line\r\n', 'latin1'),
];

let tls: SandboxTls;
let store: MailStore;
let server: RunningMailServer;
const clients: RawPop3Client[] = [];
const verifier = fakeVerifier({ good: { mailbox: ALICE }, nobox: 'no_mailbox_access' });

async function start(behaviour: Pop3Behaviour = {}): Promise<void> {
  store = createMailStore({ mailboxes: [ALICE] });
  store.deliver([ALICE], MESSAGES[0]!);
  store.deliver([ALICE], MESSAGES[1]!);
  server = await startPop3Server({ store, auth: verifier, tls, behaviour });
}

async function client(secure = true): Promise<RawPop3Client> {
  const c = await RawPop3Client.connect(secure ? server.tlsPort : server.port, secure ? { ca: tls.ca } : {});
  clients.push(c);
  expect(await c.line()).toBe(R.greeting);
  return c;
}

beforeAll(async () => {
  tls = await createSandboxTls();
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await server?.close();
});

describe('POP3 server over sockets', () => {
  it('upgrades the plain port with STLS, authenticates with two-line XOAUTH2 and reads mail', async () => {
    await start();
    const c = await client(false);
    expect(await c.command('CAPA')).toBe('+OK');
    expect((await c.body()).toString()).toBe('TOP\r\nUIDL\r\nPIPELINING\r\nRESP-CODES\r\nSTLS\r\n');
    expect(await c.startTls(tls.ca)).toBe(R.beginTls);
    expect(await c.command('CAPA')).toBe('+OK');
    expect((await c.body()).toString()).toBe(
      'TOP\r\nUIDL\r\nSASL XOAUTH2\r\nUSER\r\nPIPELINING\r\nRESP-CODES\r\n',
    );
    expect(await c.authXOAuth2(ALICE, 'good')).toBe(R.authenticated);
    expect(verifier.requests.at(-1)).toEqual({
      mechanism: 'XOAUTH2',
      user: ALICE,
      token: 'good',
      protocol: 'pop3',
    });

    const total = MESSAGES[0]!.length + MESSAGES[1]!.length;
    expect(await c.command('STAT')).toBe(`+OK 2 ${total}`);
    expect(await c.command('LIST')).toBe(`+OK 2 messages (${total} octets)`);
    expect((await c.body()).toString()).toBe(`1 ${MESSAGES[0]!.length}\r\n2 ${MESSAGES[1]!.length}\r\n`);
    expect(await c.command('UIDL')).toBe('+OK');
    expect((await c.body()).toString()).toMatch(/^1 \d+\.1\r\n2 \d+\.2\r\n$/);
    expect(await c.command('TOP 1 1')).toBe('+OK');
    expect((await c.body()).toString()).toBe(
      MESSAGES[0]!.toString().split('\r\n').slice(0, 5).join('\r\n').concat('\r\n'),
    );
    for (const [index, raw] of MESSAGES.entries()) {
      expect(await c.command(`RETR ${index + 1}`)).toBe(`+OK ${raw.length} octets`);
      expect(await c.body()).toEqual(raw);
    }
    expect(await c.command('DELE 1')).toBe('+OK');
    expect(await c.command('QUIT')).toBe(R.signOff);
    await c.rest();
    expect(
      store
        .mailbox(ALICE)!
        .folder('Inbox')!
        .messages.map((m) => m.raw),
    ).toEqual([MESSAGES[1]]);
  });

  it('ignores commands pipelined behind STLS in plaintext (no command injection)', async () => {
    await start({ allowInsecureAuth: true });
    const c = await client(false);
    expect(await c.startTls(tls.ca, `AUTH XOAUTH2\r\n${xoauth2(ALICE, 'good')}\r\n`)).toBe(R.beginTls);
    expect(await c.command('STAT')).toBe(R.wrongState);
    expect(await c.authXOAuth2(ALICE, 'good')).toBe(R.authenticated);
  });

  it('gives identical replies to pipelined commands however the bytes are split', async () => {
    await start();
    const script = [
      'CAPA',
      'AUTH XOAUTH2',
      xoauth2(ALICE, 'good'),
      'STAT',
      'LIST',
      'UIDL 2',
      'TOP 2 1',
      'RETR 1',
      'DELE 1',
      'RETR 1',
      'NOOP',
      'RSET',
      'LIST 1',
      'BOGUS',
      'QUIT',
    ]
      .map((line) => `${line}\r\n`)
      .join('');
    const transcript = async (chunks: Buffer[]): Promise<string> => {
      const c = await client();
      for (const chunk of chunks) c.write(chunk);
      return (await c.rest()).toString('latin1');
    };
    const whole = await transcript([Buffer.from(script)]);
    expect(whole).toContain(R.authenticated);
    expect(whole.endsWith(`${R.signOff}\r\n`)).toBe(true);

    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let round = 0; round < 3; round++) {
      const bytes = Buffer.from(script);
      const chunks: Buffer[] = [];
      for (let at = 0; at < bytes.length; ) {
        const size = 1 + Math.floor(random() * 12);
        chunks.push(bytes.subarray(at, at + size));
        at += size;
      }
      expect(await transcript(chunks)).toBe(whole);
    }
    expect(store.mailbox(ALICE)!.folder('Inbox')!.messages).toHaveLength(2);
  });

  it('refuses the one-line SASL-IR form, Basic authentication and bad tokens with Exchange texts', async () => {
    await start();
    const c = await client();
    expect(await c.command('USER alice@contoso.com')).toBe('+OK');
    expect(await c.command('PASS secret')).toBe(R.logonFailure);
    expect(await c.authXOAuth2(ALICE, 'expired-or-unknown')).toBe(R.authFailed);
    expect(await c.authXOAuth2(ALICE, 'nobox')).toBe(R.authFailed);
    expect(await c.command(`AUTH XOAUTH2 ${xoauth2(ALICE, 'good')}`)).toBe(R.saslIrRefused);
    await c.rest();
    expect(c.closed).toBe(true);
  });

  it('survives garbage, oversized lines, early commands and abrupt disconnects', async () => {
    await start({ maxLineLength: 1024, maxBadCommands: 3 });
    const early = await client();
    expect(await early.command('RETR 1')).toBe(R.wrongState);
    expect(await early.command('\x16\x03\x01 garbage \xff')).toBe(R.unknownCommand);
    expect(await early.command('LIST')).toBe(R.tooManyErrors);
    await early.rest();

    const long = await client();
    long.write(`NOOP ${'x'.repeat(5000)}`);
    expect(await long.line()).toBe(R.lineTooLong);
    await long.rest();

    // A TLS client hello on the plain port, a plain line on the TLS port, and a reset mid-command.
    const plain = netConnect({ host: '127.0.0.1', port: server.tlsPort });
    plain.on('error', () => undefined);
    plain.end('CAPA\r\n');
    const cut = await client();
    cut.write('RETR');
    cut.destroy();
    const half = await client(false);
    half.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x0d, 0x0a]));
    expect(await half.line()).toBe(R.unknownCommand);
    half.destroy();

    // STLS answered with garbage instead of a TLS handshake.
    const badTls = await client(false);
    expect(await badTls.command('STLS')).toBe(R.beginTls);
    badTls.write('this is not a client hello\r\n');
    await badTls.rest();

    const healthy = await client();
    expect(await healthy.authXOAuth2(ALICE, 'good')).toBe(R.authenticated);
    expect(await healthy.command('STAT')).toMatch(/^\+OK 2 /);
    for (let i = 0; i < 100 && server.connections() > 1; i++) await new Promise((r) => setTimeout(r, 10));
    expect(server.connections()).toBe(1);
  });

  it('counts open connections', async () => {
    await start();
    const c = await client();
    expect(server.connections()).toBe(1);
    expect(await c.command('QUIT')).toBe(R.signOff);
    await c.rest();
    for (let i = 0; i < 50 && server.connections() > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(server.connections()).toBe(0);
  });
});

describe('POP3 server with curl', () => {
  const run = promisify(execFile);
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kalisto-pop3-'));
    await writeFile(join(dir, 'ca.pem'), tls.ca);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  // curl picks OAUTHBEARER when it is advertised, else XOAUTH2 (two-line: curl sends no SASL-IR on POP3).
  it.for([
    { oauthBearer: false, mechanism: 'XOAUTH2' },
    { oauthBearer: true, mechanism: 'OAUTHBEARER' },
  ])(
    'lists and retrieves over pop3s with --oauth2-bearer ($mechanism)',
    async ({ oauthBearer, mechanism }) => {
      await start({ oauthBearer });
      const base = `pop3s://127.0.0.1:${server.tlsPort}/`;
      const args = ['-sS', '--cacert', join(dir, 'ca.pem'), '--oauth2-bearer', 'good', '-u', `${ALICE}:`];
      const list = await run('curl', [...args, base]);
      expect(list.stdout).toBe(`1 ${MESSAGES[0]!.length}\r\n2 ${MESSAGES[1]!.length}\r\n`);
      const retr = await run('curl', [...args, `${base}2`], { encoding: 'buffer' });
      expect(retr.stdout).toEqual(MESSAGES[1]);
      expect(verifier.requests.at(-1)).toMatchObject({ mechanism, user: ALICE, token: 'good' });

      const refused = await run('curl', [...args.slice(0, 4), 'wrong', '-u', `${ALICE}:`, base]).catch(
        (e) => e,
      );
      expect(refused.code).toBe(67); // CURLE_LOGIN_DENIED
    },
  );
});
