import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, TLSSocket } from 'node:tls';
import { createSandboxTls, type SandboxTls } from '@kalisto/sandbox';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { probeTcp, probeTls, resolveHost } from './network.js';

let tls: SandboxTls;
const servers: Server[] = [];

beforeAll(async () => {
  tls = await createSandboxTls();
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

afterAll(() => undefined);

async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** A plain IMAP-like server: greets, then answers STARTTLS with `reply` (and upgrades on OK). */
function starttlsServer(reply: string): Server {
  return createServer((socket: Socket) => {
    socket.on('error', () => undefined);
    socket.write('* OK IMAP4rev1 ready\r\n');
    socket.once('data', () => {
      socket.write(`${reply}\r\n`);
      if (reply.startsWith('K1 OK')) {
        const secure = new TLSSocket(socket, { isServer: true, key: tls.key, cert: tls.cert });
        secure.on('error', () => undefined);
      }
    });
  });
}

const base = { minVersion: 'TLSv1.2' as const, checkServerIdentity: true, timeoutMs: 5000 };

describe('doctor network probes', () => {
  it('resolves IP literals without DNS and connects over TCP', async () => {
    expect(await resolveHost('127.0.0.1')).toEqual(['127.0.0.1']);
    const port = await listen(createServer((s) => s.end()));
    await expect(probeTcp('127.0.0.1', port, 5000)).resolves.toBeUndefined();
  });

  it('reports a refused port with the fix', async () => {
    const port = await listen(createServer());
    await new Promise((resolve) => servers.pop()?.close(resolve));
    await expect(probeTcp('127.0.0.1', port, 5000)).rejects.toMatchObject({
      code: 'DOCTOR_TCP_FAILED',
      hint: expect.stringContaining('firewall'),
    });
  });

  it('verifies an implicit TLS server against the extra CA, and names the fix without it', async () => {
    const port = await listen(
      createTlsServer({ key: tls.key, cert: tls.cert }, (s) => {
        s.on('error', () => undefined);
        s.end();
      }),
    );
    const result = await probeTls({ ...base, host: '127.0.0.1', port, mode: 'implicit', ca: tls.ca });
    expect(result.version).toMatch(/^TLSv1\.[23]$/);
    expect(result.issuer).toContain('Kalisto Sandbox CA');
    await expect(probeTls({ ...base, host: '127.0.0.1', port, mode: 'implicit' })).rejects.toMatchObject({
      code: 'DOCTOR_TLS_UNTRUSTED',
      hint: expect.stringContaining('kalisto.tls.ca=file:'),
    });
  });

  it('upgrades with IMAP STARTTLS, and explains a server that refuses it', async () => {
    const good = await listen(starttlsServer('K1 OK Begin TLS negotiation now'));
    const result = await probeTls({
      ...base,
      host: '127.0.0.1',
      port: good,
      mode: 'starttls',
      dialect: 'imap',
      ca: tls.ca,
    });
    expect(result.subject).toBeTruthy();

    const refusing = await listen(starttlsServer('K1 NO STARTTLS is not available'));
    await expect(
      probeTls({ ...base, host: '127.0.0.1', port: refusing, mode: 'starttls', dialect: 'imap', ca: tls.ca }),
    ).rejects.toMatchObject({
      code: 'DOCTOR_STARTTLS_FAILED',
      message: expect.stringContaining('K1 NO STARTTLS is not available'),
      hint: expect.stringContaining('ssl.enable=true'),
    });
  });
});
