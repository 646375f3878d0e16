/**
 * Interoperability with a server nobody here wrote: Debian's Postfix (submission with STARTTLS,
 * and smtps), authenticating XOAUTH2 through Dovecot's SASL, whose oauth2 passdb asks the sandbox
 * to introspect each token. A mail sent through Postfix is read back through Dovecot's POP3S with
 * @kalisto/protocol-pop3. Needs root and the Debian packages (tooling/services/install.sh).
 */
import { createKalisto, type Kalisto, type KalistoSession } from '@kalisto/core';
import {
  type RunningDovecot,
  type RunningPostfix,
  startDovecot,
  startPostfix,
} from '@kalisto/interop-servers';
import { pop3s } from '@kalisto/protocol-pop3';
import { type Sandbox, startSandbox } from '@kalisto/sandbox';
import { msalTokenProvider } from '@kalisto/token-msal';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { smtp, smtps } from '../src/index.js';
import { jtiOf, rawMessage } from './helpers.js';

let sandbox: Sandbox;
let dovecot: RunningDovecot;
let postfix: RunningPostfix;
let kalisto: Kalisto;
const sessions: KalistoSession[] = [];

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
  kalisto = createKalisto({ protocols: [smtp(), smtps(), pop3s()], tokenProviders: [msalTokenProvider()] });
}, 60_000);

afterEach(async () => {
  for (const session of sessions.splice(0)) await session.close();
});

afterAll(async () => {
  await kalisto?.close();
  await postfix?.stop();
  await dovecot?.stop();
  await sandbox?.stop();
});

/** A delegated (password grant) session for a fixture user, every host pointing at Postfix/Dovecot. */
function sessionFor(user: 'adele' | 'megan'): KalistoSession {
  const { upn, password } = sandbox.fixtures.users[user];
  const { authority } = sandbox.endpoints;
  const session = kalisto.session({
    'o365.oauth.authority': authority,
    'o365.oauth.url': `${authority}/%s/oauth2/v2.0/token`,
    'o365.oauth.tenant': sandbox.tenant.id,
    'o365.oauth.clientId': sandbox.fixtures.publicApp.clientId,
    'o365.oauth.flow': 'password',
    'o365.oauth.scope':
      'https://outlook.office.com/SMTP.Send https://outlook.office.com/POP.AccessAsUser.All',
    'o365.user': upn,
    'o365.password': password,
    'mail.smtp.host': '127.0.0.1',
    'mail.smtp.port': String(postfix.submission),
    'mail.smtps.host': '127.0.0.1',
    'mail.smtps.port': String(postfix.smtps),
    'mail.pop3s.host': '127.0.0.1',
    'mail.pop3s.port': String(dovecot.pop3s),
    'kalisto.tls.ca': sandbox.ca,
  });
  sessions.push(session);
  return session;
}

/** Reads megan's maildrop through Dovecot until a message with `subject` arrives (Postfix delivers asynchronously). */
async function readBack(subject: string): Promise<string> {
  const reader = sessionFor('megan');
  for (let attempt = 0; attempt < 50; attempt++) {
    const client = await reader.store('pop3s');
    const list = await client.list();
    for (const { number } of list) {
      const text = (await client.retrBuffer(number)).toString('utf8');
      if (text.includes(`Subject: ${subject}`)) {
        await client.quit();
        return text;
      }
    }
    await client.quit();
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`"${subject}" never reached Dovecot`);
}

describe('Postfix with XOAUTH2 through Dovecot SASL', () => {
  it.each(['smtp', 'smtps'] as const)(
    '%s: a mail sent through Postfix is read back through Dovecot',
    async (protocol) => {
      const { adele, megan } = sandbox.fixtures.users;
      const transport = await sessionFor('adele').transport(protocol);
      const subject = `postfix ${protocol} ${Date.now()}`;

      const info = await transport.sendMail({
        envelope: { from: adele.upn, to: [megan.upn] },
        raw: rawMessage(adele.upn, megan.upn, subject, 'Through Postfix and Dovecot.'),
      });

      expect(info.accepted).toEqual([megan.upn]);
      const text = await readBack(subject);
      expect(text).toContain(`From: ${adele.upn}`);
      expect(text).toContain('Through Postfix and Dovecot.');
    },
  );

  it('a token revoked at the identity platform: Postfix refuses it, one forced refresh, the send succeeds', async () => {
    const { adele, megan } = sandbox.fixtures.users;
    const session = sessionFor('adele');
    const transport = await session.transport('smtp');
    const revoked = await session.tokens.getToken();
    sandbox.hooks.revokeToken(jtiOf(revoked.accessToken));
    sandbox.hooks.resetRequestCounts();
    const subject = `postfix after revocation ${Date.now()}`;

    await transport.sendMail({
      envelope: { from: adele.upn, to: [megan.upn] },
      raw: rawMessage(adele.upn, megan.upn, subject),
    });

    const counts = sandbox.hooks.requestCounts();
    expect(counts.password + counts.refresh_token).toBe(1);
    expect(await readBack(subject)).toContain(`Subject: ${subject}`);
  });

  it('a token for another user is refused by Postfix: AUTH_TOKEN_REJECTED, no token in the message', async () => {
    const session = sessionFor('adele');
    const other = kalisto.session({
      ...session.config.properties,
      'mail.smtp.user': sandbox.fixtures.users.megan.upn,
    });
    sessions.push(other);

    const error = await other.transport('smtp').then(
      () => undefined,
      (e: unknown) => e as Error & { code?: string },
    );

    expect(error).toMatchObject({ name: 'AuthenticationError', code: 'AUTH_TOKEN_REJECTED' });
    expect(error?.message).toMatch(/535/);
    const token = await other.tokens.getToken();
    expect(JSON.stringify(error)).not.toContain(token.accessToken);
    expect(error?.message).not.toContain(token.accessToken);
  });
});
