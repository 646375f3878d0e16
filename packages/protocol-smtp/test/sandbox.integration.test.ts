/**
 * `session.transport('smtp' | 'smtps')` against the sandbox's Exchange-like submission service with
 * MSAL-issued tokens: delivery byte-for-byte, the default sender, send-as, the token refresh path
 * and Exchange's refusals mapped to Kalisto codes — and no token in any message or log line.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import type { AuthenticationError } from '@kalisto/core';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { openSmtpTransport } from '../src/index.js';
import {
  everythingSaid,
  inboxOf,
  jtiOf,
  rawMessage,
  rejectionOf,
  type SmtpTestBed,
  startTestBed,
} from './helpers.js';

let bed: SmtpTestBed;
const tokensSeen = new Set<string>();
const errorsSeen: unknown[] = [];

beforeAll(async () => {
  bed = await startTestBed();
});
afterEach(async () => {
  vi.restoreAllMocks();
  await bed.closeSessions();
});
afterAll(async () => {
  await bed?.stop();
});

describe.each(['smtp', 'smtps'] as const)('%s', (protocol) => {
  it('delivers a raw message to the recipient’s Inbox byte for byte', async () => {
    const { adele, megan } = bed.sandbox.fixtures.users;
    const session = bed.session();
    const transport = await session.transport(protocol);
    const raw = rawMessage(adele.upn, megan.upn, `raw over ${protocol}`, '.leading dot\r\n..two dots\r\nend');

    const info = await transport.sendMail({ envelope: { from: adele.upn, to: [megan.upn] }, raw });

    expect(info.accepted).toEqual([megan.upn]);
    expect(info.response).toMatch(/^250 2\.0\.0 OK /);
    expect(inboxOf(bed.sandbox, megan.upn).some((stored) => stored.equals(raw))).toBe(true);
    tokensSeen.add((await session.tokens.getToken()).accessToken);
  });
});

it('goes through the HTTP CONNECT proxy of mail.smtp.proxy.url', async () => {
  const { adele, megan } = bed.sandbox.fixtures.users;
  const tunnels: string[] = [];
  const proxy = createServer();
  const sockets: Socket[] = [];
  proxy.on('connect', (request, client: Socket) => {
    tunnels.push(request.url ?? '');
    const [host, port] = (request.url ?? '').split(':');
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.pipe(client).pipe(upstream);
    });
    sockets.push(client, upstream);
    for (const socket of [client, upstream]) socket.on('error', () => undefined);
  });
  proxy.listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  try {
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const transport = await bed.session({ 'mail.smtp.proxy.url': proxyUrl }).transport('smtp');
    const raw = rawMessage(adele.upn, megan.upn, 'through the proxy');

    await transport.sendMail({ envelope: { from: adele.upn, to: [megan.upn] }, raw });

    const { host, port } = bed.sandbox.endpoints.smtp;
    expect(tunnels).toEqual([`${host}:${port}`, `${host}:${port}`]);
    expect(inboxOf(bed.sandbox, megan.upn).some((stored) => stored.equals(raw))).toBe(true);
  } finally {
    await bed.closeSessions();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => proxy.close(resolve));
  }
});

it('mail.smtp.from is the From and the envelope sender of a message that names none', async () => {
  const { adele, megan } = bed.sandbox.fixtures.users;
  const transport = await bed.session({ 'mail.smtp.from': adele.upn }).transport('smtp');

  const info = await transport.sendMail({ to: megan.upn, subject: 'default sender', text: 'hello' });

  expect(info.envelope).toEqual({ from: adele.upn, to: [megan.upn] });
  const stored = inboxOf(bed.sandbox, megan.upn).find((m) =>
    m.toString().includes('Subject: default sender'),
  );
  expect(stored?.toString()).toMatch(new RegExp(`^From: ${adele.upn}\\r$`, 'm'));
});

describe('shared mailbox', () => {
  it('the delegate sends as the shared mailbox with its own token', async () => {
    const { megan, adele } = bed.sandbox.fixtures.users;
    const shared = bed.sandbox.fixtures.sharedMailbox;
    const session = bed.session(bed.delegated(megan.upn, megan.password));
    const transport = await session.transport('smtp');
    const raw = rawMessage(shared, adele.upn, 'on behalf of info');

    await transport.sendMail({ envelope: { from: shared, to: [adele.upn] }, raw });

    expect(inboxOf(bed.sandbox, adele.upn).some((stored) => stored.equals(raw))).toBe(true);
    expect((await session.tokens.getToken()).account?.toLowerCase()).toBe(megan.upn);
  });

  it('a user without SendAs gets SEND_AS_DENIED with the fix, and no retry', async () => {
    const { adele, megan } = bed.sandbox.fixtures.users;
    const shared = bed.sandbox.fixtures.sharedMailbox;
    const session = bed.session(bed.delegated(adele.upn, adele.password));
    const transport = await session.transport('smtp');
    tokensSeen.add((await session.tokens.getToken()).accessToken);
    bed.sandbox.hooks.resetRequestCounts();

    const error = (await rejectionOf(
      transport.sendMail({
        envelope: { from: shared, to: [megan.upn] },
        raw: rawMessage(shared, megan.upn, 'x'),
      }),
    )) as unknown as AuthenticationError;
    errorsSeen.push(error);

    expect(error).toMatchObject({ name: 'AuthenticationError', code: 'SEND_AS_DENIED', protocol: 'smtp' });
    expect(error.serverText).toMatch(/^554 5\.2\.252 SendAsDenied; /);
    expect(error.hint).toContain('Add-RecipientPermission');
    expect(bed.sandbox.hooks.requestCounts()).toMatchObject({ password: 0, refresh_token: 0 });
  });
});

describe('token refresh', () => {
  it('a token revoked before a send is replaced by one forced refresh and the send succeeds', async () => {
    const { adele, megan } = bed.sandbox.fixtures.users;
    const session = bed.session();
    const transport = await session.transport('smtp');
    const revoked = await session.tokens.getToken();
    tokensSeen.add(revoked.accessToken);
    bed.sandbox.hooks.revokeToken(jtiOf(revoked.accessToken));
    bed.sandbox.hooks.resetRequestCounts();
    const raw = rawMessage(adele.upn, megan.upn, 'after revocation');

    await transport.sendMail({ envelope: { from: adele.upn, to: [megan.upn] }, raw });

    expect(bed.sandbox.hooks.requestCounts().client_credentials).toBe(1);
    const fresh = await session.tokens.getToken();
    tokensSeen.add(fresh.accessToken);
    expect(fresh.accessToken).not.toBe(revoked.accessToken);
    expect(inboxOf(bed.sandbox, megan.upn).some((stored) => stored.equals(raw))).toBe(true);
    expect(bed.logger.lines.some((line) => line.includes('retrying once with a fresh one'))).toBe(true);
  });

  it('a pooled transporter recovers the same way, with one refresh for all its connections', async () => {
    const { adele, megan } = bed.sandbox.fixtures.users;
    const session = bed.session({ 'mail.smtp.pool.enable': 'true' });
    const transport = await session.transport('smtp');
    expect(transport.transporter.name).toBe('SMTP (pool)');
    const revoked = await session.tokens.getToken();
    bed.sandbox.hooks.revokeToken(jtiOf(revoked.accessToken));
    bed.sandbox.hooks.resetRequestCounts();

    const sent = await Promise.all(
      [1, 2, 3, 4, 5, 6].map((n) =>
        transport.sendMail({
          envelope: { from: adele.upn, to: [megan.upn] },
          raw: rawMessage(adele.upn, megan.upn, `pooled ${n}`),
        }),
      ),
    );

    expect(sent).toHaveLength(6);
    expect(bed.sandbox.hooks.requestCounts().client_credentials).toBe(1);
  });
});

describe('refusals', () => {
  it('535 5.7.3 for a mailbox the token cannot use: AUTH_TOKEN_REJECTED after exactly one forced refresh', async () => {
    const session = bed.session({ 'mail.smtp.user': 'nobody@contoso.example' });
    const first = await session.tokens.getToken();
    bed.sandbox.hooks.resetRequestCounts();

    const error = (await rejectionOf(session.transport('smtp'))) as unknown as AuthenticationError;
    errorsSeen.push(error);

    expect(error).toMatchObject({
      name: 'AuthenticationError',
      code: 'AUTH_TOKEN_REJECTED',
      protocol: 'smtp',
      serverText: '535 5.7.3 Authentication unsuccessful',
    });
    expect(error.claims?.roles).toContain('SMTP.SendAsApp');
    expect(error.hint).toBeTruthy();
    expect(bed.sandbox.hooks.requestCounts().client_credentials).toBe(1);
    tokensSeen.add(first.accessToken);
    tokensSeen.add((await session.tokens.getToken()).accessToken);
  });

  it('535 5.7.3 with claims lacking SMTP.SendAsApp: AUTH_TOKEN_REJECTED at once, one login and no forced refresh', async () => {
    const { unconsentedApp } = bed.sandbox.fixtures;
    const session = bed.session({
      'o365.oauth.clientId': unconsentedApp.clientId,
      'o365.oauth.clientSecret': unconsentedApp.secret,
    });
    tokensSeen.add((await session.tokens.getToken()).accessToken);
    bed.sandbox.hooks.resetRequestCounts();
    const logins = vi.spyOn(bed.sandbox.verifier, 'verify');

    const error = (await rejectionOf(session.transport('smtp'))) as unknown as AuthenticationError;
    errorsSeen.push(error);

    expect(error).toMatchObject({ name: 'AuthenticationError', code: 'AUTH_TOKEN_REJECTED' });
    expect(error.findings.map((finding) => finding.code)).toContain('MISSING_PERMISSION');
    expect(logins).toHaveBeenCalledTimes(1);
    expect(bed.sandbox.hooks.requestCounts().client_credentials).toBe(0);
  });

  it('535 5.7.139 when SMTP AUTH is disabled for the mailbox: AUTH_SMTP_DISABLED, no refresh', async () => {
    const { alex } = bed.sandbox.fixtures.users;
    const session = bed.session({ 'mail.smtps.user': alex.upn });
    tokensSeen.add((await session.tokens.getToken()).accessToken);
    bed.sandbox.hooks.resetRequestCounts();

    const error = (await rejectionOf(session.transport('smtps'))) as unknown as AuthenticationError;
    errorsSeen.push(error);

    expect(error).toMatchObject({
      name: 'AuthenticationError',
      code: 'AUTH_SMTP_DISABLED',
      protocol: 'smtps',
    });
    expect(error.serverText).toMatch(/^535 5\.7\.139 /);
    expect(error.hint).toContain('Set-CASMailbox');
    expect(bed.sandbox.hooks.requestCounts().client_credentials).toBe(0);
  });
});

describe('opening without the login check', () => {
  it('verify: false logs in once, at the send', async () => {
    const { adele, megan } = bed.sandbox.fixtures.users;
    const session = bed.session();
    const logins = vi.spyOn(bed.sandbox.verifier, 'verify');
    const settings = session.config.protocols.smtp!;
    const transport = await openSmtpTransport({ session, settings, logger: bed.logger }, { verify: false });
    try {
      expect(logins).toHaveBeenCalledTimes(0);
      const raw = rawMessage(adele.upn, megan.upn, 'one login');
      await transport.sendMail({ envelope: { from: adele.upn, to: [megan.upn] }, raw });
      expect(logins).toHaveBeenCalledTimes(1);
      expect(inboxOf(bed.sandbox, megan.upn).some((stored) => stored.equals(raw))).toBe(true);
    } finally {
      transport.close();
    }
  });
});

it('no token appears in any error or log line (mail.debug was on throughout)', () => {
  expect(tokensSeen.size).toBeGreaterThan(3);
  expect(errorsSeen.length).toBeGreaterThanOrEqual(3);
  const said = [...errorsSeen.map(everythingSaid), ...bed.logger.lines].join('\n');
  expect(bed.logger.lines.some((line) => line.includes('AUTH XOAUTH2'))).toBe(true);
  for (const token of tokensSeen) {
    expect(said).not.toContain(token);
    expect(said).not.toContain(token.split('.')[2]);
  }
  expect(said).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/);
});
