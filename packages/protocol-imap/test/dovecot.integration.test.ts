/**
 * Interoperability with a server nobody here wrote: Debian's Dovecot, validating the sandbox's
 * delegated tokens by RFC 7662 introspection (its oauth2 passdb compares the introspected
 * `username` with the SASL user). Tokens come from the real MSAL password grant.
 *
 * App-only (client credentials) tokens carry no user, so Dovecot's oauth2 passdb cannot map them
 * to a mailbox: only delegated tokens are tested here.
 */
import { createKalisto, type Kalisto } from '@kalisto/core';
import { type RunningDovecot, startDovecot } from '@kalisto/interop-servers';
import { type Sandbox, startSandbox } from '@kalisto/sandbox';
import { msalTokenProvider } from '@kalisto/token-msal';
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imap, imaps } from '../src/index.js';
import { containsJwt, delegatedProperties, logSink, message } from './helpers.js';

let sandbox: Sandbox;
let dovecot: RunningDovecot;
let kalisto: Kalisto;
const log = logSink();

beforeAll(async () => {
  sandbox = await startSandbox({ mail: false });
  dovecot = await startDovecot({
    introspectionUrl: sandbox.endpoints.introspectionUrl,
    ca: sandbox.ca,
    cert: sandbox.tls.cert,
    key: sandbox.tls.key,
  });
  kalisto = createKalisto({
    protocols: [imap(), imaps()],
    tokenProviders: [msalTokenProvider()],
    logger: log.logger,
  });
});

afterAll(async () => {
  await kalisto?.close();
  await dovecot?.stop();
  await sandbox?.stop();
});

/** Adele's delegated session with both IMAP protocols pointing at Dovecot. */
function dovecotProperties(mechanisms: string): Record<string, string> {
  const adele = sandbox.fixtures.users.adele;
  return {
    ...delegatedProperties(sandbox, adele.upn, adele.password),
    'mail.imap.host': '127.0.0.1',
    'mail.imap.port': String(dovecot.imap),
    'mail.imap.ssl.enable': 'false',
    'mail.imap.starttls.enable': 'true',
    'mail.imap.sasl.mechanisms': mechanisms,
    'mail.imaps.host': '127.0.0.1',
    'mail.imaps.port': String(dovecot.imaps),
    'mail.imaps.sasl.mechanisms': mechanisms,
    'mail.debug': 'true',
  };
}

describe.each([
  ['imap', 'XOAUTH2'],
  ['imap', 'OAUTHBEARER'],
  ['imaps', 'XOAUTH2'],
  ['imaps', 'OAUTHBEARER'],
] as const)('%s provider with %s against Dovecot', (protocol, mechanism) => {
  it('logs in with a delegated token, appends and fetches the message back byte-exact', async () => {
    log.lines.length = 0;
    const session = kalisto.session(dovecotProperties(mechanism));
    const client: ImapFlow = await session.store(protocol);
    expect(client.secureConnection).toBe(true);
    // Dovecot offers both; the configured mechanism is the one used.
    const authentications = log.lines.filter((line) => line.includes('AUTHENTICATE'));
    expect(authentications).toHaveLength(1);
    expect(authentications[0]).toContain(`AUTHENTICATE ${mechanism} "(* value hidden *)"`);

    const raw = message(`dovecot ${protocol} ${mechanism} ${Date.now()}`);
    const appended = await client.append('INBOX', raw, ['\\Seen']);
    expect(appended).toBeTruthy();
    const lock = await client.getMailboxLock('INBOX');
    try {
      const uid = String((appended as { uid: number }).uid);
      const back = await client.fetchOne(uid, { source: true, flags: true }, { uid: true });
      expect(back && Buffer.compare(back.source as Buffer, raw)).toBe(0);
      expect(back && [...(back.flags ?? [])]).toContain('\\Seen');
    } finally {
      lock.release();
    }
    await session.close();
    expect(containsJwt(log.lines.join('\n'))).toBe(false);
  });
});

describe('Dovecot refusals', () => {
  it('retries a revoked token once with a fresh one, then gives the classified refusal for a wrong user', async () => {
    const adele = sandbox.fixtures.users.adele;
    const session = kalisto.session(dovecotProperties('XOAUTH2'));
    const stale = await session.tokens.getToken();
    const jti = JSON.parse(
      Buffer.from(stale.accessToken.split('.')[1] as string, 'base64url').toString(),
    ).jti;
    sandbox.hooks.revokeToken(jti);
    const client = await session.store('imaps');
    expect(client.authenticated).toBeTruthy();
    await session.close();

    // Adele's token for Megan's mailbox: Dovecot's passdb compares the introspected user and refuses.
    const wrongUser = kalisto.session({
      ...dovecotProperties('XOAUTH2'),
      'mail.imaps.user': sandbox.fixtures.users.megan.upn,
    });
    const error = await wrongUser.store('imaps').catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'AuthenticationError', code: 'AUTH_TOKEN_REJECTED' });
    const refused = error as { findings: { code: string }[]; message: string };
    expect(refused.findings.map((f) => f.code)).toContain('USER_MISMATCH');
    expect(refused.message).toContain(adele.upn);
    expect(containsJwt(refused.message)).toBe(false);
    await wrongUser.close();
  });
});
