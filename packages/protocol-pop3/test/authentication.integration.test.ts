import { type AuthenticationError, createKalisto, type KalistoSession, type Logger } from '@kalisto/core';
import { msalTokenProvider } from '@kalisto/token-msal';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { pop3s } from '../src/index.js';
import { type Pop3TestBed, seedInbox, startTestBed, trickyMessage } from './helpers.js';

let bed: Pop3TestBed;
const sessions: KalistoSession[] = [];

beforeAll(async () => {
  bed = await startTestBed();
});
afterAll(async () => {
  await bed?.stop();
});
afterEach(async () => {
  for (const session of sessions.splice(0)) await session.close();
});

function openSession(overrides: Record<string, string> = {}): KalistoSession {
  const session = bed.kalisto.session({ ...bed.sandbox.properties, ...overrides });
  sessions.push(session);
  return session;
}

function jtiOf(token: string): string {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
  return payload.jti as string;
}

/** Everything an error exposes as text: message, hint, JSON form, stack and causes. */
function everythingSaid(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 5; depth++) {
    parts.push(current.message, current.stack ?? '', JSON.stringify(current));
    const json = (current as { toJSON?: () => unknown }).toJSON?.();
    if (json !== undefined) parts.push(JSON.stringify(json));
    current = current.cause;
  }
  return parts.join('\n');
}

function xoauth2Payload(user: string, token: string): string {
  return Buffer.from(`user=${user}\x01auth=Bearer ${token}\x01\x01`).toString('base64');
}

describe('token refusal', () => {
  it('a revoked cached token is invalidated, refreshed once, and the retry logs in', async () => {
    seedInbox(bed.sandbox, bed.user, [trickyMessage(1)]);
    const session = openSession();
    const revoked = await session.tokens.getToken();
    bed.sandbox.hooks.revokeToken(jtiOf(revoked.accessToken));
    bed.sandbox.hooks.resetRequestCounts();

    const client = await session.store('pop3s');
    expect((await client.stat()).count).toBe(1);
    await client.quit();

    expect(bed.sandbox.hooks.requestCounts().client_credentials).toBe(1);
    const now = await session.tokens.getToken();
    expect(now.accessToken).not.toBe(revoked.accessToken);
  });

  it('a permanently refused identity is an AuthenticationError with Exchange text, claims and a hint, and no token', async () => {
    const mailbox = 'nobody@contoso.example';
    const session = openSession({ 'mail.pop3s.user': mailbox });
    const first = await session.tokens.getToken();
    bed.sandbox.hooks.resetRequestCounts();

    const error = (await session.store('pop3s').then(
      () => undefined,
      (e: unknown) => e,
    )) as AuthenticationError;

    expect(error).toMatchObject({
      name: 'AuthenticationError',
      code: 'AUTH_TOKEN_REJECTED',
      protocol: 'pop3',
      serverText: '-ERR Authentication failure: unknown user name or bad password.',
    });
    expect(error.message).toContain('-ERR Authentication failure: unknown user name or bad password.');
    expect(error.hint).toBeTruthy();
    expect(error.claims?.roles).toContain('POP.AccessAsApp');
    // One forced refresh, no more.
    expect(bed.sandbox.hooks.requestCounts().client_credentials).toBe(1);

    const second = await session.tokens.getToken();
    expect(second.accessToken).not.toBe(first.accessToken);
    const said = everythingSaid(error);
    for (const token of [first.accessToken, second.accessToken]) {
      expect(said).not.toContain(token);
      expect(said).not.toContain(xoauth2Payload(mailbox, token));
      expect(said).not.toContain(token.split('.')[2]);
    }
  });
});

describe('refusals the claims explain', () => {
  it('an app without POP.AccessAsApp: MISSING_PERMISSION at once, one login and no extra token request', async () => {
    const { unconsentedApp } = bed.sandbox.fixtures;
    const session = openSession({
      'o365.oauth.clientId': unconsentedApp.clientId,
      'o365.oauth.clientSecret': unconsentedApp.secret,
    });
    await session.tokens.getToken();
    bed.sandbox.hooks.resetRequestCounts();
    const logins = vi.spyOn(bed.sandbox.verifier, 'verify');
    try {
      const error = (await session.store('pop3s').then(
        () => undefined,
        (e: unknown) => e,
      )) as AuthenticationError;
      expect(error).toMatchObject({ name: 'AuthenticationError', code: 'AUTH_TOKEN_REJECTED' });
      expect(error.findings.map((f) => f.code)).toContain('MISSING_PERMISSION');
      expect(logins).toHaveBeenCalledTimes(1);
      expect(bed.sandbox.hooks.requestCounts().client_credentials ?? 0).toBe(0);
    } finally {
      logins.mockRestore();
    }
  });
});

describe('shared mailbox', () => {
  it('logs in to the shared address with the delegate’s token', async () => {
    const { fixtures } = bed.sandbox;
    seedInbox(bed.sandbox, fixtures.sharedMailbox, [trickyMessage(7)]);
    const session = openSession({
      'o365.oauth.flow': 'password',
      'o365.oauth.clientId': fixtures.publicApp.clientId,
      'o365.oauth.clientSecret': '',
      'o365.oauth.scope': 'https://outlook.office.com/POP.AccessAsUser.All',
      'o365.user': fixtures.users.megan.upn,
      'o365.password': fixtures.users.megan.password,
      'mail.pop3s.user': fixtures.sharedMailbox,
    });
    const client = await session.store('pop3s');
    expect(await client.retrBuffer(1)).toEqual(trickyMessage(7));
    await client.quit();
    expect((await session.tokens.getToken()).account?.toLowerCase()).toBe(fixtures.users.megan.upn);
  });
});

describe('mid-session token end', () => {
  it('a session the server invalidates fails with a transient error; a new store() logs in again', async () => {
    seedInbox(bed.sandbox, bed.user, [trickyMessage(1)]);
    const session = openSession();
    const client = await session.store('pop3s');
    await client.noop();
    const used = await session.tokens.getToken();
    bed.sandbox.hooks.revokeToken(jtiOf(used.accessToken));

    await expect(client.noop()).rejects.toMatchObject({
      name: 'Pop3ReplyError',
      code: 'POP3_SESSION_INVALIDATED',
      transient: true,
      responseCode: 'SYS/PERM',
    });
    await expect(client.stat()).rejects.toMatchObject({ name: 'ConnectionError', transient: true });

    const again = await session.store('pop3s');
    expect((await again.stat()).count).toBe(1);
    await again.quit();
  });
});

describe('logging', () => {
  it('logs command verbs, never the token or the AUTH payload', async () => {
    const lines: string[] = [];
    const record = (obj: object, msg?: string) => void lines.push(`${msg ?? ''} ${JSON.stringify(obj)}`);
    const logger: Logger = { debug: record, info: record, warn: record, error: record };
    const kalisto = createKalisto({ protocols: [pop3s()], tokenProviders: [msalTokenProvider()], logger });
    try {
      seedInbox(bed.sandbox, bed.user, [trickyMessage(1)]);
      const session = kalisto.session({ ...bed.sandbox.properties, 'mail.debug': 'true' });
      const token = await session.tokens.getToken();
      bed.sandbox.hooks.revokeToken(jtiOf(token.accessToken));
      const client = await session.store('pop3s');
      await client.retrBuffer(1);
      await client.quit();
      const fresh = await session.tokens.getToken();

      expect(lines.some((l) => l.includes('"command":"AUTH"'))).toBe(true);
      expect(lines.some((l) => l.includes('"command":"RETR"'))).toBe(true);
      const logged = lines.join('\n');
      for (const t of [token.accessToken, fresh.accessToken]) {
        expect(logged).not.toContain(t);
        expect(logged).not.toContain(xoauth2Payload(bed.user, t));
      }
    } finally {
      await kalisto.close();
    }
  });
});
