/**
 * Connection failures before any token is sent: a server without STARTTLS, a certificate from a
 * CA nobody trusts, a port nobody listens on. Scripted servers on loopback; a static token.
 */
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { createKalisto, type Kalisto } from '@kalisto/core';
import { defineTokenProvider } from '@kalisto/core/plugin';
import { createSandboxTls } from '@kalisto/sandbox';
import { afterEach, describe, expect, it } from 'vitest';
import { smtp, smtps } from '../src/index.js';
import { rejectionOf } from './helpers.js';

const STATIC_TOKEN = 'static-test-token-never-sent-anywhere';

const staticTokens = defineTokenProvider({
  name: 'static',
  create: () => ({
    getToken: async ({ scopes }) => ({
      accessToken: STATIC_TOKEN,
      expiresAt: Date.now() + 3_600_000,
      scopes,
    }),
  }),
});

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

function kalistoFor(
  protocol: 'smtp' | 'smtps',
  port: number,
  ca?: string,
  extra: Record<string, string> = {},
): ReturnType<Kalisto['session']> {
  const kalisto = createKalisto({ protocols: [smtp(), smtps()], tokenProviders: [staticTokens] });
  closers.push(() => kalisto.close());
  return kalisto.session({
    'o365.oauth.provider': 'static',
    'o365.oauth.tenant': 'contoso.onmicrosoft.com',
    'o365.oauth.clientId': '782d2e03-9066-4d59-ab6a-a2cfbc0212a1',
    'o365.oauth.clientSecret': 'unused',
    'o365.user': 'adele@contoso.example',
    [`mail.${protocol}.host`]: '127.0.0.1',
    [`mail.${protocol}.port`]: String(port),
    [`mail.${protocol}.connectiontimeout`]: '5000',
    ...(ca === undefined ? {} : { 'kalisto.tls.ca': ca }),
    ...extra,
  });
}

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(() => new Promise((resolve) => server.close(resolve)));
  return (server.address() as { port: number }).port;
}

/** A plain SMTP server that offers AUTH but no STARTTLS, and records every line it receives. */
async function serverWithoutStarttls(lines: string[]): Promise<number> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.write('220 plain.example ESMTP\r\n');
    let buffered = '';
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      for (let at = buffered.indexOf('\r\n'); at >= 0; at = buffered.indexOf('\r\n')) {
        const line = buffered.slice(0, at);
        buffered = buffered.slice(at + 2);
        lines.push(line);
        if (/^EHLO /i.test(line)) socket.write('250-plain.example\r\n250 AUTH XOAUTH2\r\n');
        else if (/^QUIT/i.test(line)) socket.end('221 bye\r\n');
        else socket.write('502 5.5.1 Not implemented\r\n');
      }
    });
    socket.on('error', () => undefined);
  });
  closers.push(async () => {
    for (const socket of sockets) socket.destroy();
  });
  return listen(server);
}

describe('configurations the provider refuses before connecting', () => {
  it('sasl.mechanisms without XOAUTH2, and no user to log in as, are ConfigErrors naming the property', async () => {
    await expect(
      kalistoFor('smtp', 1, undefined, { 'mail.smtp.sasl.mechanisms': 'OAUTHBEARER' }).transport('smtp'),
    ).rejects.toMatchObject({
      name: 'ConfigError',
      issues: [expect.objectContaining({ property: 'mail.smtp.sasl.mechanisms' })],
    });
    await expect(
      kalistoFor('smtp', 1, undefined, { 'o365.user': '' }).transport('smtp'),
    ).rejects.toMatchObject({
      name: 'ConfigError',
      issues: [expect.objectContaining({ property: 'mail.smtp.user' })],
    });
  });
});

describe('failures before authentication', () => {
  it('a server that will not STARTTLS: SMTP_TLS_REQUIRED, and the token never leaves', async () => {
    const lines: string[] = [];
    const session = kalistoFor('smtp', await serverWithoutStarttls(lines));

    const error = await rejectionOf(session.transport('smtp'));

    expect(error).toMatchObject({ name: 'ConnectionError', code: 'SMTP_TLS_REQUIRED', transient: false });
    expect(lines.some((line) => /^STARTTLS/i.test(line))).toBe(true);
    expect(lines.some((line) => /^AUTH/i.test(line))).toBe(false);
  });

  it('a certificate from an untrusted CA: SMTP_TLS_FAILED naming kalisto.tls.ca', async () => {
    const foreign = await createSandboxTls();
    const trusted = await createSandboxTls();
    const sockets: Socket[] = [];
    const server = createTlsServer({ key: foreign.key, cert: foreign.cert }, (socket) => {
      sockets.push(socket);
      socket.write('220 tls.example ESMTP\r\n');
    });
    server.on('tlsClientError', () => undefined);
    closers.push(async () => {
      for (const socket of sockets) socket.destroy();
    });
    const session = kalistoFor('smtps', await listen(server), trusted.ca);

    const error = await rejectionOf(session.transport('smtps'));

    expect(error).toMatchObject({ name: 'ConnectionError', code: 'SMTP_TLS_FAILED', transient: false });
    expect(error.message).toContain('kalisto.tls.ca');
    expect(error.message).not.toContain(STATIC_TOKEN);
  });

  it('an abort while the server stays silent rejects at once with an AbortError', async () => {
    const sockets: Socket[] = [];
    const controller = new AbortController();
    const server = createServer((socket) => {
      sockets.push(socket);
      socket.on('error', () => undefined);
      controller.abort(); // the server never greets; only the abort can end the wait
    });
    closers.push(async () => {
      for (const socket of sockets) socket.destroy();
    });
    const session = kalistoFor('smtp', await listen(server), undefined, {
      'mail.smtp.connectiontimeout': '600000',
    });

    const error = await rejectionOf(session.transport('smtp', { signal: controller.signal }));

    expect(error.name).toBe('AbortError');
    expect(sockets).toHaveLength(1);
  });

  it('nobody listening: SMTP_CONNECT_FAILED, transient, with host and port', async () => {
    const server = createServer();
    const port = await listen(server);
    await new Promise((resolve) => server.close(resolve));
    const session = kalistoFor('smtp', port);

    const error = await rejectionOf(session.transport('smtp'));

    expect(error).toMatchObject({
      name: 'ConnectionError',
      code: 'SMTP_CONNECT_FAILED',
      transient: true,
      host: '127.0.0.1',
      port,
    });
  });
});
