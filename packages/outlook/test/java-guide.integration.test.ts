/**
 * The Java library's installation guide's mail-session properties, pasted unchanged — only the
 * hosts, ports, authority, token URL and CA point at the sandbox, and the tenant, client, user
 * and password are the sandbox's — send over SMTP and read back over IMAP and POP3 in one session.
 */
import { memoryCache } from '@kalisto/cache-memory';
import { encodeXor, type KalistoSession } from '@kalisto/core';
import { type Sandbox, startSandbox } from '@kalisto/sandbox';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createOutlook, createOutlookSession } from '../src/index.js';

/** The guide's table, required and optional rows, as printed (example values for the secrets). */
const JAVA_GUIDE_PROPERTIES: Readonly<Record<string, string>> = {
  'websphere.cache': 'services/cache/tokenO365',
  'security.encoder.class': 'com.ibm.ws.security.util.WSEncoderDecoder',
  'o365.user': 'scichy@contoso.example',
  'o365.password': 'secret',
  'o365.oauth.tenant': '161ee23e-798c-481d-975a-39345f76032a',
  'o365.oauth.clientId': '782d2e03-9066-4d59-ab6a-a2cfbc0212a1',
  'o365.oauth.clientSecret': 'secret',
  'mail.smtp.user': 'scichy@contoso.example',
  'mail.store.protocol': 'imap',
  'mail.imap.class': 'pl.slawas.mail.outlook.store.OutlookStore',
  'mail.imap.mailbox.timeout': '10000',
  'mail.transport.protocol': 'smtp',
  'mail.smtp.class': 'pl.slawas.mail.outlook.smtp.OutlookTransport',
  'o365.oauth.url': 'https://login.microsoftonline.com/%s/oauth2/v2.0/token',
  'o365.oauth.scope': 'https://outlook.office.com/.default',
  'mail.imap.ssl.enable': 'true',
  'mail.imap.ssl.protocols': 'TLSv1.2',
  'mail.imap.sasl.enable': 'true',
  'mail.imap.sasl.mechanisms': 'XOAUTH2',
  'mail.imap.auth.login.disable': 'true',
  'mail.imap.auth.plain.disable': 'true',
  'mail.imap.host': 'outlook.office365.com',
  'mail.imap.port': '993',
  'mail.smtp.starttls.enable': 'true',
  'mail.smtp.socketFactory.fallback': 'true',
  'mail.smtp.ssl.enable': 'false',
  'mail.smtp.ssl.protocols': 'TLSv1.2',
  'mail.smtp.auth': 'true',
  'mail.smtp.sasl.enable': 'true',
  'mail.smtp.sasl.mechanisms': 'XOAUTH2',
  'mail.smtp.auth.login.disable': 'true',
  'mail.smtp.auth.plain.disable': 'true',
  'mail.smtp.host': 'smtp.office365.com',
  'mail.smtp.port': '587',
};

let sandbox: Sandbox;
const sessions: KalistoSession[] = [];

beforeAll(async () => {
  sandbox = await startSandbox();
});
afterEach(async () => {
  for (const session of sessions.splice(0)) await session.close();
});
afterAll(async () => {
  await sandbox?.stop();
});

/**
 * The guide's properties pointed at the sandbox: the confidential app (the guide's app has a
 * secret and allows public client flows) and a fixture user, secrets `{xor}`-encoded as
 * WebSphere stores them. POP3 has no row in the guide: only its host and port are added.
 */
function guideProperties(): Record<string, string> {
  const { authority } = sandbox.endpoints;
  const { adele } = sandbox.fixtures.users;
  const app = sandbox.fixtures.confidentialApp;
  return {
    ...JAVA_GUIDE_PROPERTIES,
    'o365.user': adele.upn,
    'mail.smtp.user': adele.upn,
    'o365.password': encodeXor(adele.password),
    'o365.oauth.tenant': sandbox.tenant.id,
    'o365.oauth.clientId': app.clientId,
    'o365.oauth.clientSecret': encodeXor(app.secret),
    'o365.oauth.authority': authority,
    'o365.oauth.url': `${authority}/%s/oauth2/v2.0/token`,
    'mail.imap.host': sandbox.endpoints.imaps.host,
    'mail.imap.port': String(sandbox.endpoints.imaps.port),
    'mail.smtp.host': sandbox.endpoints.smtp.host,
    'mail.smtp.port': String(sandbox.endpoints.smtp.port),
    'mail.pop3.host': sandbox.endpoints.pop3s.host,
    'mail.pop3.port': String(sandbox.endpoints.pop3s.port),
    'kalisto.tls.ca': sandbox.ca,
  };
}

function message(from: string, to: string, subject: string): Buffer {
  return Buffer.from(
    `From: ${from}\r\nTo: ${to}\r\nSubject: ${subject}\r\n\r\nSent with the Java guide's properties.\r\n`,
  );
}

describe('the Java guide’s properties, unchanged', () => {
  it('send over smtp, read over imap and pop3, through one session (password grant)', async () => {
    const { adele } = sandbox.fixtures.users;
    const session = createOutlookSession(guideProperties());
    sessions.push(session);
    const subject = `guide ${Date.now()}`;
    const raw = message(adele.upn, adele.upn, subject);

    // The guide's mail.transport.protocol and mail.store.protocol.
    expect([session.config.transportProtocol, session.config.storeProtocol]).toEqual(['smtp', 'imap']);
    const transport = await session.transport('smtp');
    await transport.sendMail({ envelope: { from: adele.upn, to: [adele.upn] }, raw });

    const imapClient = await session.store('imap');
    await imapClient.mailboxOpen('INBOX');
    const found = await imapClient.search({ subject });
    expect(found).not.toEqual(false);
    const uid = (found as number[]).at(-1) as number;
    const fetched = await imapClient.fetchOne(String(uid), { source: true });
    expect(fetched === false ? undefined : fetched.source).toEqual(raw);
    await imapClient.logout();

    const pop = await session.store('pop3');
    const messages = await pop.list();
    const bodies = await Promise.all(messages.map((m) => pop.retrBuffer(m.number)));
    expect(bodies.some((body) => body.equals(raw))).toBe(true);
    await pop.quit();

    // One password grant served all three protocols; the token is in the cache the guide named.
    const counts = sandbox.hooks.requestCounts();
    expect(counts.password).toBe(1);
    expect(session.config.oauth.flow).toBe('password');
    expect(await session.cache?.get(session.tokens.keyFor())).toBeDefined();
  });

  it('sessions of one createOutlook share the cache the guide names: the second needs no token request', async () => {
    const kalisto = createOutlook();
    const first = kalisto.session(guideProperties());
    await first.tokens.getToken();
    sandbox.hooks.resetRequestCounts();

    const second = kalisto.session(guideProperties());
    await second.tokens.getToken();

    expect(sandbox.hooks.requestCounts().password).toBe(0);
    expect(kalisto.caches.get('services/cache/tokenO365')).toBe(kalisto.caches.get('memory'));
    await kalisto.close();
  });

  it('a cache of the application’s own registered under the guide’s name is the one used', async () => {
    const own = memoryCache({ name: 'own' });
    const session = createOutlookSession(guideProperties(), {
      caches: { 'services/cache/tokenO365': own },
    });
    sessions.push(session);
    await session.tokens.getToken();

    expect(session.cache).toBe(own);
    expect(await own.get(session.tokens.keyFor())).toBeDefined();
  });
});
