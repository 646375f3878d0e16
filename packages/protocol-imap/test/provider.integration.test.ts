/**
 * The imap (STARTTLS) and imaps providers against the sandbox's Exchange-like IMAP server, with
 * tokens from the real MSAL provider (client credentials and the password grant).
 */
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import { isKalistoError } from '@kalisto/core';
import { startSandbox } from '@kalisto/sandbox';
import type { ImapFlow } from 'imapflow';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { tokenExpiryOf } from '../src/index.js';
import { containsJwt, delegatedProperties, type ImapTestBed, message, startTestBed } from './helpers.js';

let bed: ImapTestBed;
const opened: ImapFlow[] = [];

beforeAll(async () => {
  bed = await startTestBed();
});
afterEach(async () => {
  for (const client of opened.splice(0)) client.close();
});
afterAll(async () => bed?.stop());

async function open(properties: Record<string, string>, protocol?: string): Promise<ImapFlow> {
  const session = bed.kalisto.session(properties);
  const client = (await session.store(protocol)) as ImapFlow;
  opened.push(client);
  return client;
}

describe.each(['imap', 'imaps'] as const)('%s provider (client credentials through MSAL)', (protocol) => {
  it('logs in over TLS and lists, opens, fetches byte-exact, searches, appends and sets flags', async () => {
    const raw = message(`${protocol} fetch ${Date.now()}`, 'Line one\r\n.\r\nLine with ümlaut\r\n');
    bed.sandbox.store.deliver([bed.user], raw);
    const session = bed.kalisto.session(bed.sandbox.properties);
    const client = await session.store(protocol);
    opened.push(client);
    expect(client.secureConnection).toBe(true);
    expect(tokenExpiryOf(client)).toBeGreaterThan(Date.now());

    const folders = (await client.list()).map((f) => f.path);
    expect(folders).toEqual(expect.arrayContaining(['INBOX', 'Sent Items', 'Drafts']));

    const inbox = await client.mailboxOpen('INBOX');
    const fetched = present(await client.fetchOne(String(inbox.exists), { source: true, uid: true }));
    expect(Buffer.compare(present(fetched.source), raw)).toBe(0);

    const subject = raw.toString().match(/Subject: (.*)\r\n/)?.[1] as string;
    expect(await client.search({ subject }, { uid: true })).toEqual([fetched.uid]);

    const appended = message(`${protocol} append ${Date.now()}`);
    const uid = String(present(present(await client.append('Drafts', appended, ['\\Draft'])).uid));
    await client.mailboxOpen('Drafts');
    const back = present(await client.fetchOne(uid, { source: true, flags: true }, { uid: true }));
    expect(Buffer.compare(present(back.source), appended)).toBe(0);
    expect([...present(back.flags)]).toContain('\\Draft');

    await client.messageFlagsAdd(uid, ['\\Seen', '\\Flagged'], { uid: true });
    const flagged = present(await client.fetchOne(uid, { flags: true }, { uid: true }));
    expect([...present(flagged.flags)]).toEqual(expect.arrayContaining(['\\Seen', '\\Flagged']));
    await session.close();
    expect(client.usable).toBe(false);
  });
});

describe('provider selection', () => {
  it('resolves the Java class name of an old WebSphere configuration', async () => {
    const client = await open({
      ...bed.sandbox.properties,
      'mail.store.protocol': 'imap',
      'mail.imap.class': 'pl.slawas.mail.outlook.store.OutlookStore',
    });
    expect(client.authenticated).toBeTruthy();
    expect(client.port).toBe(bed.sandbox.endpoints.imap.port);
  });

  it('speaks implicit TLS for imap with mail.imap.ssl.enable (the Office 365 reference default)', async () => {
    const client = await open(
      {
        ...bed.sandbox.properties,
        'mail.imap.ssl.enable': 'true',
        'mail.imap.starttls.enable': 'false',
        'mail.imap.port': String(bed.sandbox.endpoints.imaps.port),
      },
      'imap',
    );
    expect(client.secureConnection).toBe(true);
    expect(client.port).toBe(bed.sandbox.endpoints.imaps.port);
  });

  it('honours an aborted signal', async () => {
    const session = bed.kalisto.session(bed.sandbox.properties);
    const logins = vi.spyOn(bed.sandbox.verifier, 'verify');
    const error = await session.store('imaps', { signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'AbortError' });
    expect(logins).not.toHaveBeenCalled();
    logins.mockRestore();
    await session.close();
  });

  it('abandons a connection attempt when the signal aborts mid-handshake', async () => {
    // A server that accepts TCP and never answers the TLS handshake.
    const silent = createServer((socket) => socket.on('error', () => {}));
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const session = bed.kalisto.session({
      ...bed.sandbox.properties,
      'mail.imaps.port': String((silent.address() as { port: number }).port),
    });
    await session.tokens.getToken();
    const controller = new AbortController();
    const pending = session.store('imaps', { signal: controller.signal }).catch((e: unknown) => e);
    await once(silent, 'connection');
    controller.abort();
    expect(await pending).toMatchObject({ name: 'AbortError' });
    await session.close();
    silent.close();
  });

  it('connects through the HTTP CONNECT proxy of mail.imaps.proxy.*', async () => {
    const tunnels: string[] = [];
    const proxy = createServer((client) => {
      client.once('data', (head) => {
        const [, target] = /^CONNECT (\S+) HTTP/.exec(head.toString('latin1')) ?? [];
        tunnels.push(target ?? '?');
        const [host, port] = (target ?? '').split(':');
        const upstream = connect(Number(port), host, () => {
          client.write('HTTP/1.1 200 Connection established\r\n\r\n');
          upstream.pipe(client).pipe(upstream);
        });
        upstream.on('error', () => client.destroy());
      });
      client.on('error', () => {});
    });
    proxy.listen(0, '127.0.0.1');
    await once(proxy, 'listening');
    try {
      const client = await open(
        {
          ...bed.sandbox.properties,
          'mail.imaps.proxy.host': '127.0.0.1',
          'mail.imaps.proxy.port': String((proxy.address() as { port: number }).port),
        },
        'imaps',
      );
      await client.mailboxOpen('INBOX');
      expect(tunnels).toEqual([`127.0.0.1:${bed.sandbox.endpoints.imaps.port}`]);
      client.close();
    } finally {
      proxy.close();
    }
  });

  it('opens the default store of mail.store.protocol', async () => {
    const client = await open(bed.sandbox.properties);
    expect(client.port).toBe(bed.sandbox.endpoints.imaps.port);
  });
});

describe('delegated tokens (password grant through MSAL)', () => {
  const { megan, adele } = { megan: 'megan', adele: 'adele' } as const;

  it('opens the user own mailbox', async () => {
    const user = bed.sandbox.fixtures.users[adele];
    bed.sandbox.store.deliver([user.upn], message('delegated'));
    const client = await open(delegatedProperties(bed.sandbox, user.upn, user.password), 'imaps');
    const inbox = await client.mailboxOpen('INBOX');
    expect(inbox.exists).toBeGreaterThan(0);
  });

  it('opens a shared mailbox as its delegate: the shared address as user, the delegate token', async () => {
    const delegate = bed.sandbox.fixtures.users[megan];
    const shared = bed.sandbox.fixtures.sharedMailbox;
    const raw = message(`shared ${Date.now()}`);
    bed.sandbox.store.deliver([shared], raw);
    const client = await open(
      { ...delegatedProperties(bed.sandbox, delegate.upn, delegate.password), 'mail.imaps.user': shared },
      'imaps',
    );
    const inbox = await client.mailboxOpen('INBOX');
    const fetched = present(await client.fetchOne(String(inbox.exists), { source: true }));
    expect(Buffer.compare(present(fetched.source), raw)).toBe(0);
  });

  it('refuses an identity without access to the mailbox: AUTH_MAILBOX_NOT_CONNECTED, one token only', async () => {
    const user = bed.sandbox.fixtures.users[adele];
    const shared = bed.sandbox.fixtures.sharedMailbox;
    const session = bed.kalisto.session({
      ...delegatedProperties(bed.sandbox, user.upn, user.password),
      'mail.imaps.user': shared,
    });
    await session.tokens.getToken();
    bed.sandbox.hooks.resetRequestCounts();
    const error = await session.store('imaps').catch((e: unknown) => e);
    expect(isKalistoError(error) && error.name).toBe('AuthenticationError');
    expect(error).toMatchObject({
      code: 'AUTH_MAILBOX_NOT_CONNECTED',
      protocol: 'imap',
      serverText: expect.stringContaining('User is authenticated but not connected'),
    });
    const refused = error as { message: string; hint: string; findings: { code: string }[] };
    // The token is adele's, the mailbox info@: the claims say so, in the message and the hint.
    expect(refused.findings.map((f) => f.code)).toContain('USER_MISMATCH');
    expect(refused.message).toContain('User is authenticated but not connected');
    expect(refused.hint).toContain('Add-MailboxPermission');
    expect(containsJwt(refused.message)).toBe(false);
    // A permanent refusal is not retried with a fresh token.
    expect(bed.sandbox.hooks.requestCounts().password ?? 0).toBe(0);
    expect(bed.sandbox.hooks.requestCounts().refresh_token ?? 0).toBe(0);
    await session.close();
  });
});

describe('refused tokens', () => {
  it('retries a token revoked before connect once with a fresh token (exactly one extra request)', async () => {
    const session = bed.kalisto.session(bed.sandbox.properties);
    const stale = await session.tokens.getToken();
    bed.sandbox.hooks.revokeToken(jtiOf(stale.accessToken));
    bed.sandbox.hooks.resetRequestCounts();
    const client = await session.store('imaps');
    opened.push(client);
    await client.mailboxOpen('INBOX');
    expect(bed.sandbox.hooks.requestCounts().client_credentials).toBe(1);
    expect((await session.tokens.getToken()).accessToken).not.toBe(stale.accessToken);
    await session.close();
  });

  it('explains a Graph-audience token: AUTH_TOKEN_REJECTED with the GRAPH_AUDIENCE finding and the fix', async () => {
    bed.log.lines.length = 0;
    const session = bed.kalisto.session({
      ...bed.sandbox.properties,
      'o365.oauth.scope': 'https://graph.microsoft.com/.default',
      'mail.debug': 'true',
    });
    bed.sandbox.hooks.resetRequestCounts();
    const error = await session.store('imaps').catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'AuthenticationError',
      code: 'AUTH_TOKEN_REJECTED',
      serverText: expect.stringContaining('AUTHENTICATE failed'),
    });
    const refused = error as { message: string; hint: string; findings: { code: string }[]; claims: unknown };
    expect(refused.findings.map((f) => f.code)).toContain('GRAPH_AUDIENCE');
    expect(refused.claims).toMatchObject({ aud: expect.stringContaining('graph.microsoft.com') });
    expect(refused.hint).toContain('https://outlook.office365.com/.default');
    expect(refused.message).toContain('AUTHENTICATE failed');
    // The claims already show why: no forgotten token, no second request, no second login.
    expect(bed.sandbox.hooks.requestCounts().client_credentials).toBe(1);
    const everything = [refused.message, JSON.stringify(refused), ...bed.log.lines].join('\n');
    expect(containsJwt(everything)).toBe(false);
    expect(bed.log.lines.some((line) => line.includes('AUTHENTICATE'))).toBe(true);
    await session.close();
  });
});

describe('refusals the claims explain', () => {
  it('an app without IMAP.AccessAsApp: AUTH_TOKEN_REJECTED with MISSING_PERMISSION, one login, no extra token request', async () => {
    const { unconsentedApp } = bed.sandbox.fixtures;
    const session = bed.kalisto.session({
      ...bed.sandbox.properties,
      'o365.oauth.clientId': unconsentedApp.clientId,
      'o365.oauth.clientSecret': unconsentedApp.secret,
    });
    await session.tokens.getToken();
    bed.sandbox.hooks.resetRequestCounts();
    const logins = vi.spyOn(bed.sandbox.verifier, 'verify');
    try {
      const error = await session.store('imaps').catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'AuthenticationError', code: 'AUTH_TOKEN_REJECTED' });
      expect((error as { findings: { code: string }[] }).findings.map((f) => f.code)).toContain(
        'MISSING_PERMISSION',
      );
      expect(logins).toHaveBeenCalledTimes(1);
      expect(bed.sandbox.hooks.requestCounts().client_credentials ?? 0).toBe(0);
    } finally {
      logins.mockRestore();
      await session.close();
    }
  });
});

describe('SASL mechanism and transport policy', () => {
  let oauthBed: ImapTestBed;
  beforeAll(async () => {
    oauthBed = await startTestBed({ behaviour: { imap: { oauthBearer: true } } });
  });
  afterAll(async () => oauthBed?.stop());

  async function mechanismUsed(mechanisms: string): Promise<string[]> {
    const verify = vi.spyOn(oauthBed.sandbox.verifier, 'verify');
    try {
      const session = oauthBed.kalisto.session({
        ...oauthBed.sandbox.properties,
        'mail.imaps.sasl.mechanisms': mechanisms,
      });
      await session.store('imaps');
      await session.close();
      return verify.mock.calls.map(([request]) => request.mechanism);
    } finally {
      verify.mockRestore();
    }
  }

  it('uses XOAUTH2 when the configuration says so, although the server offers OAUTHBEARER', async () => {
    expect(await mechanismUsed('XOAUTH2')).toEqual(['XOAUTH2']);
  });

  it('uses OAUTHBEARER when it is configured first and offered', async () => {
    expect(await mechanismUsed('OAUTHBEARER XOAUTH2')).toEqual(['OAUTHBEARER']);
  });

  it('fails with IMAP_MECHANISM_UNAVAILABLE when the server lacks the configured mechanism', async () => {
    const session = bed.kalisto.session({
      ...bed.sandbox.properties,
      'mail.imaps.sasl.mechanisms': 'OAUTHBEARER',
    });
    const error = await session.store('imaps').catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'ConnectionError',
      code: 'IMAP_MECHANISM_UNAVAILABLE',
      transient: false,
    });
    expect((error as Error).message).toContain('XOAUTH2');
    await session.close();
  });

  it('implicit TLS to the plain port: IMAP_TLS_FAILED pointing at ssl.enable=false and starttls.enable=true', async () => {
    const session = bed.kalisto.session({
      ...bed.sandbox.properties,
      'mail.imaps.port': String(bed.sandbox.endpoints.imap.port),
    });
    const error = await session.store('imaps').catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ConnectionError', code: 'IMAP_TLS_FAILED', transient: false });
    const { message, hint } = error as { message: string; hint: string };
    expect(message).toContain('wrong version number');
    expect(hint).toContain('mail.imaps.ssl.enable=false and mail.imaps.starttls.enable=true');
    expect(hint).not.toContain('kalisto.tls.ca');
    await session.close();
  });

  it('fails with IMAP_TLS_FAILED against a server whose CA is not trusted (verification stays on)', async () => {
    const stranger = await startSandbox();
    try {
      const session = bed.kalisto.session({
        ...bed.sandbox.properties,
        'mail.imaps.port': String(stranger.endpoints.imaps.port),
      });
      const error = await session.store('imaps').catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'ConnectionError', code: 'IMAP_TLS_FAILED', transient: false });
      expect((error as Error).message).toContain('kalisto.tls.ca');
      await session.close();
    } finally {
      await stranger.stop();
    }
  });
});

/** The value, failing the test when ImapFlow answered false/undefined instead. */
function present<T>(value: T | false | undefined | null): T {
  expect(value).toBeTruthy();
  return value as T;
}

function jtiOf(token: string): string {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString('utf8'));
  return payload.jti as string;
}
