/**
 * The bounds of the IMAP and POP3 listeners: what a client may send before login (line length,
 * literal size, command count, silence, failed logins), how many connections are held, how long an
 * upstream login may take and how much a hostile upstream may send before it, and a graceful close.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Kalisto } from '@kalisto/core';
import { type Sandbox, startSandbox } from '@kalisto/sandbox';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createImapProxy,
  createPop3Proxy,
  type MailProxy,
  type MailProxyOptions,
} from '../src/proxy/index.js';
import {
  kalistoFor,
  type LogSink,
  logSink,
  RELAY_PASSWORD,
  rawClient,
  relayAccounts,
} from './proxy-fixtures.js';

let sandbox: Sandbox;
let kalisto: Kalisto;
let mailbox: string;
const log: LogSink = logSink();
let proxies: MailProxy[] = [];
const servers: Server[] = [];

/** A listener with the sandbox behind it; `properties` override the mailbox session's. */
async function start(
  kind: 'imap' | 'pop3',
  extra: Partial<MailProxyOptions> = {},
  properties: Record<string, string> = {},
): Promise<{ proxy: MailProxy; port: number }> {
  const accounts = relayAccounts([
    {
      user: mailbox,
      password: RELAY_PASSWORD,
      session: kalisto.session({ ...sandbox.properties, ...properties }),
    },
  ]);
  const create = kind === 'imap' ? createImapProxy : createPop3Proxy;
  const proxy = create({ port: 0, tls: { mode: 'none' }, logger: log.logger, ...accounts.options, ...extra });
  proxies.push(proxy);
  return { proxy, port: (await proxy.listen()).port };
}

/** A TCP server that accepts and then does `behave` (nothing: silent). */
async function fakeUpstream(behave: (socket: Socket) => void = () => {}): Promise<number> {
  const server = createServer((socket) => {
    socket.on('error', () => {});
    behave(socket);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

/** Waits (bounded by the test timeout, polling) until `condition` holds. */
async function eventually(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

beforeAll(async () => {
  sandbox = await startSandbox();
  kalisto = kalistoFor(log);
  mailbox = sandbox.properties['o365.user'] as string;
});

afterEach(async () => {
  for (const proxy of proxies) await proxy.close({ timeoutMs: 200 });
  proxies = [];
});

afterAll(async () => {
  for (const server of servers) server.close();
  await kalisto?.close();
  await sandbox?.stop();
});

describe('before login', () => {
  it('IMAP: a command line over maxLineBytes gets BYE and the connection closes', async () => {
    const { port } = await start('imap', { maxLineBytes: 1024 });
    const client = await rawClient(port);
    await client.until(/^\* OK .*\r\n/);
    client.send(`a1 LOGIN ${'x'.repeat(2000)}`);
    expect(await client.closed()).toMatch(/\* BYE Command line too long\.\r\n$/);
  });

  it('IMAP: a literal announced beyond maxLineBytes is refused before any byte of it is read', async () => {
    const { port } = await start('imap', { maxLineBytes: 1024 });
    const client = await rawClient(port);
    await client.until(/^\* OK .*\r\n/);
    client.send('a1 LOGIN {100000000}\r\n');
    const all = await client.closed();
    expect(all).not.toContain('+ Ready');
    expect(all).toMatch(/\* BYE Command line too long\.\r\n$/);
  });

  it('POP3: a line over maxLineBytes gets -ERR and the connection closes', async () => {
    const { port } = await start('pop3', { maxLineBytes: 512 });
    const client = await rawClient(port);
    await client.until(/^\+OK .*\r\n/);
    client.send(`USER ${'x'.repeat(600)}`);
    expect(await client.closed()).toMatch(/-ERR Line too long\.\r\n$/);
  });

  it('IMAP and POP3: more than maxCommandsBeforeLogin commands end the connection', async () => {
    const imap = await start('imap', { maxCommandsBeforeLogin: 5 });
    const pop3 = await start('pop3', { maxCommandsBeforeLogin: 5 });
    const imapClient = await rawClient(imap.port);
    imapClient.send(Array.from({ length: 8 }, (_, i) => `n${i} NOOP\r\n`).join(''));
    const imapAll = await imapClient.closed();
    expect(imapAll.match(/OK NOOP completed/g)).toHaveLength(5);
    expect(imapAll).toMatch(/\* BYE Too many commands before login\.\r\n$/);
    const popClient = await rawClient(pop3.port);
    popClient.send('CAPA\r\n'.repeat(8));
    const popAll = await popClient.closed();
    expect(popAll.match(/Capability list follows/g)).toHaveLength(5);
    expect(popAll).toMatch(/-ERR Too many commands before login\.\r\n$/);
  });

  it('IMAP and POP3: a client silent for idleTimeoutMs is told so and disconnected', async () => {
    const imap = await start('imap', { idleTimeoutMs: 200 });
    const pop3 = await start('pop3', { idleTimeoutMs: 200 });
    const imapClient = await rawClient(imap.port);
    const popClient = await rawClient(pop3.port);
    expect(await imapClient.closed()).toMatch(/\* BYE Autologout; idle for too long\.\r\n$/);
    expect(await popClient.closed()).toMatch(/-ERR Autologout; idle for too long\.\r\n$/);
  });

  it('POP3: three wrong passwords on one connection end it', async () => {
    const { port } = await start('pop3');
    const client = await rawClient(port);
    client.send('USER a\r\nPASS b\r\nUSER a\r\nPASS c\r\nAUTH PLAIN AGEAZA==\r\nCAPA\r\n');
    const all = await client.closed();
    expect(all.match(/-ERR \[AUTH\] Authentication failed\./g)).toHaveLength(3);
    expect(all).toMatch(/-ERR Too many failed logins\.\r\n$/);
  });
});

describe('connections', () => {
  it('one more than maxConnections is refused at once; a freed place is taken again', async () => {
    const { proxy, port } = await start('imap', { maxConnections: 2 });
    const first = await rawClient(port);
    const second = await rawClient(port);
    await first.until(/^\* OK/);
    await second.until(/^\* OK/);
    const third = await rawClient(port);
    expect(await third.closed()).toBe('* BYE Too many connections; try again later.\r\n');
    first.send('a LOGOUT\r\n');
    await first.closed();
    await eventually(() => proxy.connections() === 1);
    const fourth = await rawClient(port);
    expect(await fourth.until(/^\* OK/)).toContain('Kalisto relay ready');
    expect(log.lines.some((l) => l.includes('Relay listener full'))).toBe(true);
  });

  it('close(): clients before login are told BYE, a logged-in session is cut after timeoutMs, nothing stays open', async () => {
    const { proxy, port } = await start('imap');
    const loggedIn = await rawClient(port);
    await loggedIn.until(/^\* OK/);
    loggedIn.send(`a1 LOGIN "${mailbox}" "${RELAY_PASSWORD.replace(/"/g, '\\"')}"\r\na2 SELECT INBOX\r\n`);
    await loggedIn.until(/a2 OK/);
    const waiting = await rawClient(port);
    await waiting.until(/^\* OK/);
    expect(proxy.connections()).toBe(2);
    await proxy.close({ timeoutMs: 100 });
    expect(await waiting.closed()).toMatch(/\* BYE The relay is shutting down\.\r\n$/);
    await loggedIn.closed();
    expect(proxy.connections()).toBe(0);
    await expect(rawClient(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

describe('upstream login', () => {
  it('a server that never greets: NO [UNAVAILABLE] after upstreamTimeoutMs, RELAY_UPSTREAM_TIMEOUT in the log', async () => {
    const silent = await fakeUpstream();
    const { port } = await start(
      'imap',
      { upstreamTimeoutMs: 300 },
      {
        'mail.imaps.ssl.enable': 'false',
        'mail.imaps.starttls.enable': 'false',
        'kalisto.auth.allowInsecure': 'true',
        'mail.imaps.port': String(silent),
      },
    );
    const client = await rawClient(port);
    await client.until(/^\* OK/);
    client.send(`a1 LOGIN "${mailbox}" "${RELAY_PASSWORD.replace(/"/g, '\\"')}"\r\n`);
    expect(await client.until(/a1 .*\r\n/)).toContain('a1 NO [UNAVAILABLE]');
    expect(log.lines.find((l) => l.includes('RELAY_UPSTREAM_TIMEOUT'))).toContain('within 300 ms');
    client.destroy();
  });

  it('a server sending an endless greeting is cut at 64 KiB: NO [UNAVAILABLE], RELAY_UPSTREAM_PROTOCOL_ERROR', async () => {
    let written = 0;
    const flooding = await fakeUpstream((socket) => {
      const chunk = Buffer.alloc(16 * 1024, 'a');
      const pump = () => {
        while (!socket.destroyed && written < 64 * 1024 * 1024) {
          written += chunk.length;
          if (!socket.write(chunk)) {
            socket.once('drain', pump);
            return;
          }
        }
      };
      pump();
    });
    const { port } = await start(
      'pop3',
      {},
      {
        'mail.pop3s.ssl.enable': 'false',
        'mail.pop3s.starttls.enable': 'false',
        'kalisto.auth.allowInsecure': 'true',
        'mail.pop3s.port': String(flooding),
      },
    );
    const client = await rawClient(port);
    await client.until(/^\+OK/);
    client.send(`USER ${mailbox}\r\nPASS ${RELAY_PASSWORD}\r\n`);
    expect(await client.until(/-ERR \[SYS\/TEMP\].*\r\n/)).toContain('cannot be reached right now');
    expect(log.lines.find((l) => l.includes('RELAY_UPSTREAM_PROTOCOL_ERROR'))).toContain(
      `more than ${64 * 1024} bytes before login`,
    );
    expect(written).toBeLessThan(64 * 1024 * 1024);
    client.destroy();
  });
});
