/**
 * The relay in front of servers nobody here wrote: Debian's Postfix as the upstream (submission with
 * STARTTLS, SASL XOAUTH2 through Dovecot, whose oauth2 passdb asks the sandbox to introspect each
 * token; delegated tokens from real msal-node). A device's message sent to the relay with Python's
 * smtplib is read back from Dovecot over IMAP: its bytes, its Bcc recipient, and Postfix's
 * Return-Path, which shows the envelope sender arrived as the client gave it.
 */
import { createKalisto, type Kalisto } from '@kalisto/core';
import {
  type RunningDovecot,
  type RunningPostfix,
  startDovecot,
  startPostfix,
} from '@kalisto/interop-servers';
import { imaps } from '@kalisto/protocol-imap';
import { smtp } from '@kalisto/protocol-smtp';
import { type Sandbox, startSandbox } from '@kalisto/sandbox';
import { msalTokenProvider } from '@kalisto/token-msal';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createRelay, type Relay } from '../src/index.js';
import { eventually, PRINTER, printerPasswordHash, run } from './helpers.js';

let sandbox: Sandbox;
let dovecot: RunningDovecot;
let postfix: RunningPostfix;
let kalisto: Kalisto;
let relay: Relay;

/** Delegated (password grant) properties of a fixture user, every host pointing at Postfix/Dovecot. */
function delegated(user: 'adele' | 'megan', scope: string): Record<string, string> {
  const { upn, password } = sandbox.fixtures.users[user];
  const { authority } = sandbox.endpoints;
  return {
    'o365.oauth.authority': authority,
    'o365.oauth.url': `${authority}/%s/oauth2/v2.0/token`,
    'o365.oauth.tenant': sandbox.tenant.id,
    'o365.oauth.clientId': sandbox.fixtures.publicApp.clientId,
    'o365.oauth.flow': 'password',
    'o365.oauth.scope': scope,
    'o365.user': upn,
    'o365.password': password,
    'mail.smtp.host': '127.0.0.1',
    'mail.smtp.port': String(postfix.submission),
    'mail.imaps.host': '127.0.0.1',
    'mail.imaps.port': String(dovecot.imaps),
    'kalisto.tls.ca': sandbox.ca,
  };
}

beforeAll(async () => {
  sandbox = await startSandbox({ mail: false });
  const { ca, tls, fixtures } = sandbox;
  dovecot = await startDovecot({
    introspectionUrl: sandbox.endpoints.introspectionUrl,
    ca,
    cert: tls.cert,
    key: tls.key,
  });
  postfix = await startPostfix({
    dovecot,
    cert: tls.cert,
    key: tls.key,
    mailboxes: [fixtures.users.adele.upn, fixtures.users.megan.upn],
  });
  kalisto = createKalisto({ protocols: [smtp(), imaps()], tokenProviders: [msalTokenProvider()] });
  relay = createRelay({
    kalisto,
    properties: {
      ...delegated('adele', 'https://outlook.office.com/SMTP.Send'),
      'kalisto.relay.listener.local.protocol': 'smtp',
      'kalisto.relay.listener.local.port': '0',
      'kalisto.relay.listener.local.tls': 'none',
      'kalisto.relay.user.printer.password': await printerPasswordHash(),
      'kalisto.relay.user.printer.mailbox': fixtures.users.adele.upn,
    },
  });
  await relay.start();
}, 90_000);

afterAll(async () => {
  await relay?.stop({ timeoutMs: 5_000 });
  await kalisto?.close();
  await postfix?.stop();
  await dovecot?.stop();
  await sandbox?.stop();
});

/** Every message in `user`'s Dovecot INBOX whose bytes contain `marker`, over IMAP with a delegated token. */
async function readBack(user: 'adele' | 'megan', marker: string): Promise<Buffer[]> {
  const session = kalisto.session(delegated(user, 'https://outlook.office.com/IMAP.AccessAsUser.All'));
  try {
    const client = await session.store('imaps');
    const lock = await client.getMailboxLock('INBOX');
    const found: Buffer[] = [];
    try {
      const box = client.mailbox;
      if (box !== false && box.exists === 0) return found;
      for await (const message of client.fetch('1:*', { source: true })) {
        if (message.source?.includes(marker)) found.push(message.source);
      }
    } finally {
      lock.release();
    }
    return found;
  } finally {
    await session.close();
  }
}

it('smtplib → relay → Postfix (XOAUTH2) → Dovecot: bytes, Bcc and envelope sender as the client gave them', async () => {
  const { adele, megan } = sandbox.fixtures.users;
  const marker = `postfix-${Date.now()}`;
  // The From header names the device; the envelope sender is the mailbox. Neither may be rewritten.
  // Date and Message-ID given: Postfix adds neither, so the message arrives as sent below its own trace headers.
  const body = `From: Scanner <scanner@printers.invalid>\r\nTo: ${megan.upn}\r\nSubject: ${marker}\r\nDate: Mon, 1 Jun 2026 08:00:00 +0000\r\nMessage-ID: <${marker}@printers.invalid>\r\n\r\nScanned page.\r\n.leading dot\r\n`;
  const script = `
import smtplib, sys
with smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=30) as s:
    s.login(sys.argv[2], sys.argv[3])
    print('refused', s.sendmail(sys.argv[4], [sys.argv[5], sys.argv[6]], sys.argv[7].encode()))
`;
  const port = relay.addresses.local?.port;
  const result = await run('python3', [
    '-c',
    script,
    String(port),
    PRINTER.user,
    PRINTER.password,
    adele.upn,
    megan.upn,
    adele.upn,
    body,
  ]);
  expect(result.stderr).toBe('');
  expect(result.stdout.trim()).toBe('refused {}');

  // Postfix delivers asynchronously after its 250: wait for the maildrop (fails only on a hang).
  await eventually(async () => (await readBack('megan', marker)).length > 0, 400);
  const [delivered] = await readBack('megan', marker);
  const text = delivered?.toString('latin1') ?? '';
  // Postfix's virtual delivery prepends Return-Path (the envelope sender) and Delivered-To.
  expect(text).toMatch(new RegExp(`^Return-Path: <${adele.upn}>\\r\\n`));
  expect(text).toContain(`Delivered-To: ${megan.upn}\r\n`);
  expect(text.slice(-body.length)).toBe(body);
  expect(text).toContain('From: Scanner <scanner@printers.invalid>\r\n');
  // adele was a Bcc (envelope only): her copy arrived too.
  await eventually(async () => (await readBack('adele', marker)).length > 0, 400);
});
