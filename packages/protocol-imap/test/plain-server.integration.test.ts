/**
 * The last guard before the token leaves: OAuthImapFlow refuses to authenticate on a connection that
 * is not encrypted, whatever ImapFlow was told. A scripted plain-text server records what it got.
 */
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { OAuthImapFlow } from '../src/index.js';

let server: Server | undefined;
const sockets = new Set<Socket>();

afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

/** A plain IMAP server advertising XOAUTH2 and no STARTTLS; answers OK to everything. */
async function plainServer(received: string[]): Promise<number> {
  server = createServer((socket) => {
    sockets.add(socket);
    socket.write('* OK plain server ready\r\n');
    let buffer = '';
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      for (let end = buffer.indexOf('\r\n'); end >= 0; end = buffer.indexOf('\r\n')) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        received.push(line);
        const [tag, command] = line.split(' ');
        if (command?.toUpperCase() === 'CAPABILITY')
          socket.write('* CAPABILITY IMAP4rev1 AUTH=XOAUTH2 SASL-IR\r\n');
        socket.write(`${tag} OK done\r\n`);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as { port: number }).port;
}

describe('OAuthImapFlow on a plain connection', () => {
  it('fails with IMAP_TLS_REQUIRED before any AUTHENTICATE is sent', async () => {
    const received: string[] = [];
    const port = await plainServer(received);
    const client = new OAuthImapFlow(
      {
        host: '127.0.0.1',
        port,
        secure: false,
        doSTARTTLS: false,
        auth: { user: 'adele@contoso.example', accessToken: 'a-token-that-must-stay-here' },
        logger: false,
      },
      { mechanisms: ['XOAUTH2'], allowInsecureAuth: false, protocol: 'imap' },
    );
    client.on('error', () => {});
    const error = await client.connect().catch((e: unknown) => e);
    client.close();
    expect(error).toMatchObject({ name: 'ConnectionError', code: 'IMAP_TLS_REQUIRED', transient: false });
    expect(received.map((l) => l.split(' ')[1])).toEqual(['CAPABILITY']);
    expect(received.join('\n')).not.toContain('AUTHENTICATE');
  });

  it('authenticates in clear text only when insecure authentication is allowed', async () => {
    const received: string[] = [];
    const port = await plainServer(received);
    const client = new OAuthImapFlow(
      {
        host: '127.0.0.1',
        port,
        secure: false,
        doSTARTTLS: false,
        auth: { user: 'adele@contoso.example', accessToken: 'test-token' },
        logger: false,
        disableCompression: true,
        disableAutoEnable: true,
      },
      { mechanisms: ['XOAUTH2'], allowInsecureAuth: true, protocol: 'imap' },
    );
    client.on('error', () => {});
    await client.connect();
    client.close();
    expect(received.some((line) => line.includes('AUTHENTICATE XOAUTH2'))).toBe(true);
  });
});
