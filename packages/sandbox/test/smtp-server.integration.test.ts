import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createTransport } from 'nodemailer';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MailStore, RunningMailServer } from '../src/contracts.js';
import { createMailStore } from '../src/mail-store.js';
import { POP3_REPLIES, startPop3Server } from '../src/pop3/index.js';
import { type SmtpBehaviour, startSmtpServer } from '../src/smtp/index.js';
import { createSandboxTls, type SandboxTls } from '../src/tls.js';
import { type FakeGrant, fakeVerifier, oauthBearer, RawPop3Client, xoauth2 } from './pop3-smtp-fixtures.js';

const ALICE = 'alice@contoso.com';
const BOB = 'bob@contoso.com';
const SHARED = 'shared@contoso.com';

/** A message as nodemailer would send it raw: the bytes must arrive unchanged (dots included). */
const RAW = Buffer.from(
  [
    `From: Alice <${ALICE}>`,
    `To: ${BOB}`,
    'Subject: quarterly figures',
    'Message-ID: <q1@contoso.com>',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    'Figures attached.',
    '.',
    '..leading dots stay',
    'caf\u00e9',
    '',
  ].join('\r\n'),
);

const grants: Record<string, FakeGrant> = {
  alice: { mailbox: ALICE, sendAs: [ALICE, SHARED] },
  bob: { mailbox: BOB },
  disabled: 'smtp_auth_disabled',
  stale: { mailbox: ALICE, expiresAt: 0 },
};

let tls: SandboxTls;
let store: MailStore;
let smtp: RunningMailServer;
const verifier = fakeVerifier(grants);
const cleanups: Array<() => unknown> = [];

async function start(behaviour: SmtpBehaviour = {}): Promise<void> {
  store = createMailStore({ mailboxes: [ALICE, BOB, SHARED] });
  smtp = await startSmtpServer({ store, auth: verifier, tls, behaviour });
  cleanups.push(() => smtp.close());
}

type TransportOptions = { implicit?: boolean; user?: string; token?: string };

function transport({ implicit = false, user = ALICE, token = 'alice' }: TransportOptions = {}) {
  const t = createTransport({
    host: '127.0.0.1',
    port: implicit ? smtp.tlsPort : smtp.port,
    secure: implicit,
    requireTLS: !implicit,
    tls: { ca: tls.ca, servername: 'localhost' },
    auth: { type: 'OAuth2', user, accessToken: token },
  });
  cleanups.push(() => t.close());
  return t;
}

const send = (t: ReturnType<typeof transport>, from = ALICE, to = [BOB], raw = RAW) =>
  t.sendMail({ envelope: { from, to }, raw });

const inbox = (address: string) =>
  store
    .mailbox(address)!
    .folder('Inbox')!
    .messages.map((m) => m.raw);

beforeAll(async () => {
  tls = await createSandboxTls();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('SMTP server with nodemailer', () => {
  it('accepts mail over STARTTLS (587-style) and implicit TLS and delivers it byte for byte', async () => {
    await start();
    const info = await send(transport());
    expect(info.accepted).toEqual([BOB]);
    expect(info.response).toBe('250 2.0.0 OK <q1@contoso.com> [Hostname=KALISTO-SANDBOX.sandbox.invalid]');
    expect(verifier.requests.at(-1)).toEqual({
      mechanism: 'XOAUTH2',
      user: ALICE,
      token: 'alice',
      protocol: 'smtp',
    });
    await send(transport({ implicit: true }));
    expect(inbox(BOB)).toEqual([RAW, RAW]);
    const sent = store.mailbox(ALICE)!.folder('Sent Items')!.messages;
    expect(sent.map((m) => m.raw)).toEqual([RAW, RAW]);
    expect([...sent[0]!.flags]).toEqual(['\\Seen']);
  });

  it('lets a message sent over SMTP be read back over POP3 unchanged', async () => {
    await start();
    await send(transport());
    const pop3 = await startPop3Server({ store, auth: verifier, tls });
    cleanups.push(() => pop3.close());
    const reader = await RawPop3Client.connect(pop3.tlsPort, { ca: tls.ca });
    cleanups.push(() => reader.destroy());
    expect(await reader.line()).toBe(POP3_REPLIES.greeting);
    expect(await reader.authXOAuth2(BOB, 'bob')).toBe(POP3_REPLIES.authenticated);
    expect(await reader.command('RETR 1')).toBe(`+OK ${RAW.length} octets`);
    expect(await reader.body()).toEqual(RAW);
  });

  it('refuses a bad token with 535 5.7.3 and a disabled tenant with 535 5.7.139', async () => {
    await start();
    await expect(send(transport({ token: 'forged' }))).rejects.toMatchObject({
      code: 'EAUTH',
      responseCode: 535,
      response: '535 5.7.3 Authentication unsuccessful',
    });
    await expect(send(transport({ token: 'disabled' }))).rejects.toMatchObject({
      code: 'EAUTH',
      response:
        '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.',
    });
    expect(inbox(BOB)).toEqual([]);
  });

  it('can send the XOAUTH2 JSON error challenge before the 535, Gmail-style', async () => {
    await start({ xoauth2ErrorChallenge: true });
    await expect(send(transport({ token: 'forged' }))).rejects.toMatchObject({
      code: 'EAUTH',
      response: '535 Error: Username and Password not accepted',
    });
    const raw = await RawPop3Client.connect(smtp.tlsPort, { ca: tls.ca });
    cleanups.push(() => raw.destroy());
    await raw.line();
    raw.write('EHLO client.test\r\n');
    while (!(await raw.line()).startsWith('250 '));
    const challenge = await raw.command(`AUTH XOAUTH2 ${xoauth2(ALICE, 'forged')}`);
    expect(JSON.parse(Buffer.from(challenge.slice(4), 'base64').toString())).toEqual({
      status: '401',
      schemes: 'bearer',
      scope: 'https://outlook.office.com/SMTP.Send',
    });
  });

  it('enforces SendAs on the envelope sender and on the From header', async () => {
    await start();
    const sendAsDenied = (who: string) =>
      `554 5.2.252 SendAsDenied; ${ALICE} not allowed to send as ${who}; STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; Failed to process message due to a permanent exception with message Cannot submit message.`;
    const t = transport();
    await expect(send(t, BOB)).rejects.toMatchObject({ code: 'EENVELOPE', response: sendAsDenied(BOB) });
    const forged = Buffer.from(RAW.toString().replace(`From: Alice <${ALICE}>`, `From: ${BOB}`));
    await expect(send(t, ALICE, [BOB], forged)).rejects.toMatchObject({
      code: 'EMESSAGE',
      response: sendAsDenied(BOB),
    });
    // A SendAs grant (a shared mailbox) is honoured.
    const shared = Buffer.from(RAW.toString().replace(`From: Alice <${ALICE}>`, `From: ${SHARED}`));
    await send(t, SHARED, [BOB], shared);
    expect(inbox(BOB)).toEqual([shared]);
  });

  it('rejects unknown recipients at RCPT TO and delivers to the known ones', async () => {
    await start();
    const info = await send(transport(), ALICE, [BOB, 'nobody@contoso.com']);
    expect(info.rejected).toEqual(['nobody@contoso.com']);
    expect(info.rejectedErrors?.[0]).toMatchObject({
      response:
        '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient nobody@contoso.com not found by SMTP address lookup',
    });
    expect(inbox(BOB)).toHaveLength(1);
  });

  it('limits concurrent sessions per mailbox with 432 4.3.2', async () => {
    await start({ maxConnectionsPerMailbox: 2 });
    const held: RawPop3Client[] = [];
    for (let i = 0; i < 2; i++) {
      const raw = await RawPop3Client.connect(smtp.tlsPort, { ca: tls.ca });
      cleanups.push(() => raw.destroy());
      held.push(raw);
      expect(await raw.line()).toMatch(/^220 /);
      raw.write('EHLO client.test\r\n');
      while (!(await raw.line()).startsWith('250 '));
      expect(await raw.command(`AUTH XOAUTH2 ${xoauth2(ALICE, 'alice')}`)).toBe(
        '235 Authentication successful',
      );
    }
    await expect(send(transport())).rejects.toMatchObject({
      code: 'EAUTH',
      responseCode: 432,
      response: '432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded',
    });
    // Another mailbox is not affected; a freed slot is usable again.
    const fromBob = Buffer.from(RAW.toString().replace(`From: Alice <${ALICE}>`, `From: ${BOB}`));
    await send(transport({ user: BOB, token: 'bob' }), BOB, [ALICE], fromBob);
    held[0]!.destroy();
    for (let i = 0; i < 100 && smtp.connections() > 1; i++) await new Promise((r) => setTimeout(r, 10));
    await expect(send(transport())).resolves.toMatchObject({ accepted: [BOB] });
  });

  it('refuses messages over the submission quota with 554 5.2.0', async () => {
    await start({ submissionQuota: { messages: 1, windowMs: 60_000 } });
    const t = transport();
    await send(t);
    await expect(send(t)).rejects.toMatchObject({
      code: 'EMESSAGE',
      response:
        '554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process message due to a permanent exception with message Cannot submit message.',
    });
    expect(inbox(BOB)).toHaveLength(1);
  });

  it('ends a session whose token expired at MAIL FROM with 421 4.7.0', async () => {
    await start();
    await expect(send(transport({ token: 'stale' }))).rejects.toMatchObject({
      response: '421 4.7.0 Session invalidated - AccessTokenExpired',
    });
  });
});

describe('SMTP server over a raw connection', () => {
  it('offers AUTH only after STARTTLS and asks for authentication before MAIL', async () => {
    await start();
    const raw = await RawPop3Client.connect(smtp.port);
    cleanups.push(() => raw.destroy());
    expect(await raw.line()).toBe('220 localhost ESMTP Microsoft ESMTP MAIL Service ready');
    raw.write('EHLO client.test\r\n');
    const features: string[] = [];
    for (let line = await raw.line(); ; line = await raw.line()) {
      features.push(line.slice(4));
      if (line.startsWith('250 ')) break;
    }
    expect(features).toContain('STARTTLS');
    expect(features.some((f) => f.startsWith('AUTH'))).toBe(false);
    expect(await raw.command('MAIL FROM:<alice@contoso.com>')).toBe(
      '530 5.7.57 Client not authenticated to send mail.',
    );
    expect(await raw.command('AUTH XOAUTH2')).toMatch(/^500 /);
    expect(await raw.command('QUIT')).toMatch(/^221 /);
  });

  it('speaks OAUTHBEARER when enabled, failing it with the RFC 7628 error challenge', async () => {
    await start({ oauthBearer: true });
    const session = async () => {
      const raw = await RawPop3Client.connect(smtp.tlsPort, { ca: tls.ca });
      cleanups.push(() => raw.destroy());
      await raw.line();
      raw.write('EHLO client.test\r\n');
      let features = '';
      for (let line = await raw.line(); ; line = await raw.line()) {
        features += `${line}\n`;
        if (line.startsWith('250 ')) break;
      }
      expect(features).toContain('AUTH XOAUTH2 OAUTHBEARER');
      return raw;
    };
    const refused = await session();
    const challenge = await refused.command(`AUTH OAUTHBEARER ${oauthBearer(ALICE, 'forged')}`);
    expect(challenge).toMatch(/^334 /);
    expect(JSON.parse(Buffer.from(challenge.slice(4), 'base64').toString())).toMatchObject({
      status: 'invalid_token',
    });
    expect(await refused.command('AQ==')).toBe('535 5.7.3 Authentication unsuccessful');

    const accepted = await session();
    expect(await accepted.command('AUTH OAUTHBEARER')).toBe('334 ');
    expect(await accepted.command(oauthBearer(ALICE, 'alice'))).toBe('235 2.7.0 Authentication successful');
    expect(verifier.requests.at(-1)).toEqual({
      mechanism: 'OAUTHBEARER',
      user: ALICE,
      token: 'alice',
      protocol: 'smtp',
    });
  });

  it('survives a TLS handshake failure and garbage, and keeps serving', async () => {
    await start();
    const garbage = await RawPop3Client.connect(smtp.tlsPort).catch(() => undefined);
    garbage?.write('EHLO plain-text-on-tls-port\r\n');
    garbage?.destroy();
    const noise = await RawPop3Client.connect(smtp.port);
    cleanups.push(() => noise.destroy());
    await noise.line();
    noise.write(Buffer.from([0, 1, 2, 255, 13, 10]));
    expect(await noise.line()).toMatch(/^5\d\d /);
    noise.destroy();
    await expect(send(transport({ implicit: true }))).resolves.toMatchObject({ accepted: [BOB] });
  });
});

describe('SMTP server with curl', () => {
  const run = promisify(execFile);
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kalisto-smtp-'));
    await writeFile(join(dir, 'ca.pem'), tls.ca);
    await writeFile(join(dir, 'message.eml'), RAW);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.for([
    { oauthBearer: false, mechanism: 'XOAUTH2' },
    { oauthBearer: true, mechanism: 'OAUTHBEARER' },
  ])(
    'sends with --ssl-reqd and --oauth2-bearer over STARTTLS ($mechanism)',
    async ({ oauthBearer, mechanism }) => {
      await start({ oauthBearer });
      await run('curl', [
        '-sS',
        '--ssl-reqd',
        '--cacert',
        join(dir, 'ca.pem'),
        `smtp://127.0.0.1:${smtp.port}/client.test`,
        '--mail-from',
        ALICE,
        '--mail-rcpt',
        BOB,
        '--upload-file',
        join(dir, 'message.eml'),
        '--oauth2-bearer',
        'alice',
        '-u',
        `${ALICE}:`,
      ]);
      expect(verifier.requests.at(-1)).toMatchObject({
        user: ALICE,
        token: 'alice',
        protocol: 'smtp',
        mechanism,
      });
      expect(inbox(BOB)).toEqual([RAW]);
    },
  );
});
