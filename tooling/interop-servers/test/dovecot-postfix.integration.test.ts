import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Sandbox, startSandbox } from '@kalisto/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningDovecot, type RunningPostfix, startDovecot, startPostfix } from '../src/index.js';

const curl = promisify(execFile);

// The harness itself, exercised with curl — a client nobody here wrote: Dovecot validates
// sandbox tokens by introspection; Postfix authenticates through Dovecot and delivers to it.
describe('Dovecot and Postfix validating sandbox tokens', () => {
  let sandbox: Sandbox;
  let dovecot: RunningDovecot;
  let postfix: RunningPostfix;
  let caFile: string;
  const sender = 'adele@contoso.example';
  const recipient = 'megan@contoso.example';

  beforeAll(async () => {
    sandbox = await startSandbox({ mail: false });
    const { ca, tls } = sandbox;
    dovecot = await startDovecot({
      introspectionUrl: sandbox.endpoints.introspectionUrl,
      ca,
      cert: tls.cert,
      key: tls.key,
    });
    postfix = await startPostfix({ dovecot, cert: tls.cert, key: tls.key, mailboxes: [sender, recipient] });
    caFile = join(dovecot.directory, 'ca.pem');
  });

  afterAll(async () => {
    await postfix?.stop();
    await dovecot?.stop();
    await sandbox?.stop();
  });

  const token = async (upn: string) => (await sandbox.hooks.mintToken({ upn })).token;

  it('sends through Postfix submission with a token and reads it back over IMAPS and POP3S', async () => {
    const subject = `interop ${Date.now()}`;
    const message = join(dovecot.directory, 'message.eml');
    await writeFile(message, `From: ${sender}\r\nTo: ${recipient}\r\nSubject: ${subject}\r\n\r\nhello\r\n`);
    await curl('curl', [
      '-sS',
      '--max-time',
      '20',
      '--cacert',
      caFile,
      '--ssl-reqd',
      `smtp://127.0.0.1:${postfix.submission}`,
      '--mail-from',
      sender,
      '--mail-rcpt',
      recipient,
      '--upload-file',
      message,
      '-u',
      `${sender}:`,
      '--oauth2-bearer',
      await token(sender),
    ]);

    const readerToken = await token(recipient);
    let listing = '';
    for (let attempt = 0; attempt < 50 && !listing.includes(subject); attempt++) {
      const { stdout } = await curl('curl', [
        '-sS',
        '--max-time',
        '20',
        '--cacert',
        caFile,
        `imaps://127.0.0.1:${dovecot.imaps}/INBOX;UID=1`,
        '-u',
        `${recipient}:`,
        '--oauth2-bearer',
        readerToken,
      ]).catch(() => ({ stdout: '' }));
      listing = stdout;
      if (!listing.includes(subject)) await new Promise((r) => setTimeout(r, 200));
    }
    expect(listing).toContain(`Subject: ${subject}`);

    const { stdout: pop } = await curl('curl', [
      '-sS',
      '--max-time',
      '20',
      '--cacert',
      caFile,
      `pop3s://127.0.0.1:${dovecot.pop3s}/1`,
      '-u',
      `${recipient}:`,
      '--oauth2-bearer',
      readerToken,
    ]);
    expect(pop).toContain(`Subject: ${subject}`);
  });

  it('refuses a revoked token, a token for another user and a forged one', async () => {
    const revoked = await sandbox.hooks.mintToken({ upn: recipient });
    sandbox.hooks.revokeToken(revoked.jti);
    const otherUser = await token(sender);
    for (const bearer of [revoked.token, otherUser, 'not-a-token']) {
      const attempt = curl('curl', [
        '-sS',
        '--max-time',
        '20',
        '--cacert',
        caFile,
        `imaps://127.0.0.1:${dovecot.imaps}/INBOX`,
        '-u',
        `${recipient}:`,
        '--oauth2-bearer',
        bearer,
        '-X',
        'NOOP',
      ]);
      await expect(attempt).rejects.toMatchObject({ code: 67 }); // CURLE_LOGIN_DENIED
    }
    const log = await readFile(dovecot.log, 'utf8');
    expect(log).toContain('oauth2 failed');
    expect(log).not.toContain(otherUser);
  });
});
