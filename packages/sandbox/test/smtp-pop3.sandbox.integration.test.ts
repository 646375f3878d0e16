/**
 * SMTP and POP3 against the whole sandbox: real signed tokens checked by the sandbox's verifier
 * (not the test double), the directory's SendAs grants and SMTP AUTH switch, revocation.
 */
import { createTransport } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POP3_REPLIES } from '../src/pop3/index.js';
import { type Sandbox, startSandbox } from '../src/sandbox.js';
import { RawPop3Client } from './pop3-smtp-fixtures.js';

let sandbox: Sandbox;
const closers: Array<() => unknown> = [];

beforeAll(async () => {
  sandbox = await startSandbox();
});

afterAll(async () => {
  for (const close of closers.splice(0)) await close();
  await sandbox?.stop();
});

function transport(user: string, accessToken: string) {
  const t = createTransport({
    host: sandbox.endpoints.smtp.host,
    port: sandbox.endpoints.smtp.port,
    secure: false,
    requireTLS: true,
    tls: { ca: sandbox.ca, servername: 'localhost' },
    auth: { type: 'OAuth2', user, accessToken },
  });
  closers.push(() => t.close());
  return t;
}

const message = (from: string, to: string, subject: string) =>
  Buffer.from(`From: ${from}\r\nTo: ${to}\r\nSubject: ${subject}\r\n\r\nSent through the sandbox.\r\n`);

describe('SMTP and POP3 with sandbox tokens', () => {
  it('sends as the user and as a shared mailbox with SendAs, and the recipient reads it over POP3', async () => {
    const { adele, megan } = sandbox.fixtures.users;
    const shared = sandbox.fixtures.sharedMailbox;
    const { token } = await sandbox.hooks.mintToken({ upn: megan.upn });
    const own = message(megan.upn, adele.upn, 'own');
    const onBehalf = message(shared, adele.upn, 'shared');
    const t = transport(megan.upn, token);
    await t.sendMail({ envelope: { from: megan.upn, to: [adele.upn] }, raw: own });
    await t.sendMail({ envelope: { from: shared, to: [adele.upn] }, raw: onBehalf });
    await expect(
      t.sendMail({ envelope: { from: adele.upn, to: [megan.upn] }, raw: message(adele.upn, megan.upn, 'x') }),
    ).rejects.toMatchObject({ response: expect.stringMatching(/^554 5\.2\.252 SendAsDenied; /) });

    const reader = await RawPop3Client.connect(sandbox.endpoints.pop3s.port, { ca: sandbox.ca });
    closers.push(() => reader.destroy());
    expect(await reader.line()).toBe(POP3_REPLIES.greeting);
    const adeleToken = (await sandbox.hooks.mintToken({ upn: adele.upn })).token;
    expect(await reader.authXOAuth2(adele.upn, adeleToken)).toBe(POP3_REPLIES.authenticated);
    const bodies: Buffer[] = [];
    for (const n of [1, 2]) {
      expect(await reader.command(`RETR ${n}`)).toMatch(/^\+OK /);
      bodies.push(await reader.body());
    }
    expect(bodies).toEqual([own, onBehalf]);
  });

  it('refuses expired tokens with 535 5.7.3 and a mailbox with SMTP AUTH off with 535 5.7.139', async () => {
    const { adele, alex } = sandbox.fixtures.users;
    const expired = await sandbox.hooks.mintToken({ upn: adele.upn, lifetimeSeconds: -60 });
    await expect(
      transport(adele.upn, expired.token).sendMail({
        envelope: { from: adele.upn, to: [adele.upn] },
        raw: 'x',
      }),
    ).rejects.toMatchObject({ response: '535 5.7.3 Authentication unsuccessful' });
    const alexToken = await sandbox.hooks.mintToken({ upn: alex.upn });
    await expect(
      transport(alex.upn, alexToken.token).sendMail({
        envelope: { from: alex.upn, to: [adele.upn] },
        raw: 'x',
      }),
    ).rejects.toMatchObject({ response: expect.stringMatching(/^535 5\.7\.139 /) });
  });

  it('ends a POP3 session whose token is revoked', async () => {
    const { adele } = sandbox.fixtures.users;
    const minted = await sandbox.hooks.mintToken({ upn: adele.upn });
    const reader = await RawPop3Client.connect(sandbox.endpoints.pop3s.port, { ca: sandbox.ca });
    closers.push(() => reader.destroy());
    await reader.line();
    expect(await reader.authXOAuth2(adele.upn, minted.token)).toBe(POP3_REPLIES.authenticated);
    expect(await reader.command('NOOP')).toBe('+OK');
    sandbox.hooks.revokeToken(minted.jti);
    expect(await reader.command('STAT')).toBe(POP3_REPLIES.tokenRevoked);
    await reader.rest();
  });
});
