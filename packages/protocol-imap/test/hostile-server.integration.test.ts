/**
 * Hostile and broken IMAP servers (small real servers on 127.0.0.1, tokens from the sandbox's
 * identity platform): what the client holds before login and after it is bounded, an oversized
 * response ends in IMAP_RESPONSE_TOO_LARGE with the socket closed, and a response cut off mid-way
 * is a ConnectionError, not ImapFlow's bare "Connection not available".
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isKalistoError } from '@kalisto/core';
import { flood } from '@kalisto/test-support';
import type { ImapFlow } from 'imapflow';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { IMAP_DEFAULTS, watch } from '../src/index.js';
import { type ImapTestBed, startTestBed } from './helpers.js';
import {
  floodAndClose,
  type HostileImapServer,
  type HostileImapServerOptions,
  startHostileImapServer,
} from './hostile-server.js';

let bed: ImapTestBed;
let server: HostileImapServer | undefined;
const opened: ImapFlow[] = [];

beforeAll(async () => {
  bed = await startTestBed();
});
afterEach(async () => {
  for (const client of opened.splice(0)) client.close();
  await server?.close();
  server = undefined;
});
afterAll(async () => bed?.stop());

const MiB = 1024 * 1024;
/** One read from a socket: the most a bound can be overshot by before the client notices. */
const CHUNK = 64 * 1024;

/** The sandbox's properties with `mail.imap.*` pointing at the hostile server. */
function properties(port: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...bed.sandbox.properties,
    'mail.store.protocol': 'imap',
    'mail.imap.host': '127.0.0.1',
    'mail.imap.port': String(port),
    'mail.imap.ssl.enable': 'false',
    ...extra,
  };
}

/** Before login: plain text, STARTTLS required (the server never gets that far). */
const beforeStartTls = { 'mail.imap.starttls.enable': 'true', 'mail.imap.starttls.required': 'true' };
/** After login: a plain connection the test allows the token over (the server accepts any login). */
const plainLogin = { 'mail.imap.starttls.enable': 'false', 'kalisto.auth.allowInsecure': 'true' };

async function connectTo(options: HostileImapServerOptions, extra: Record<string, string>): Promise<unknown> {
  server = await startHostileImapServer(options);
  const session = bed.kalisto.session(properties(server.port, extra));
  return session.store('imap').then(
    (client) => {
      opened.push(client as ImapFlow);
      return client;
    },
    (error: unknown) => error,
  );
}

async function loggedIn(
  options: HostileImapServerOptions,
  extra: Record<string, string> = {},
): Promise<ImapFlow> {
  const client = await connectTo(options, { ...plainLogin, ...extra });
  if (client instanceof Error) throw client;
  return client as ImapFlow;
}

function expectTooLarge(error: unknown, limit: number): { received: number; announced?: number } {
  expect(isKalistoError(error)).toBe(true);
  expect(error).toMatchObject({
    name: 'ConnectionError',
    code: 'IMAP_RESPONSE_TOO_LARGE',
    limit,
    transient: false,
  });
  const { received } = error as { received: number };
  expect(received).toBeLessThanOrEqual(limit + CHUNK);
  return error as { received: number; announced?: number };
}

describe('before login (finding 4)', () => {
  const budget = IMAP_DEFAULTS.preAuthResponseBytes;

  it('stops an endless CAPABILITY line at the pre-login budget and closes the socket', async () => {
    const error = await connectTo(
      {
        commands: {
          CAPABILITY: floodAndClose('* CAPABILITY IMAP4rev1 STARTTLS', ' X-ENDLESS-CAPABILITY', 16 * MiB),
        },
      },
      beforeStartTls,
    );
    expect(budget).toBe(64 * 1024);
    const { received } = expectTooLarge(error, budget);
    expect(received).toBeGreaterThan(budget);
    expect((error as Error).message).toMatch(/before login/);
    expect((error as Error).message).toContain('mail.imap.maxResponseBytes');
    await server?.connectionClosed();
    expect(server?.received.map((line) => line.split(' ')[1])).toEqual(['CAPABILITY']);
  });

  it('refuses a {999999999} literal before login when it is announced, before its bytes arrive', async () => {
    const error = await connectTo(
      {
        commands: {
          CAPABILITY: floodAndClose('* CAPABILITY {999999999}\r\n', 'x'.repeat(4096), 16 * MiB),
        },
      },
      beforeStartTls,
    );
    const { received, announced } = expectTooLarge(error, budget);
    expect(announced).toBe(999_999_999);
    expect(received).toBeLessThan(CHUNK);
    await server?.connectionClosed();
  });

  it('counts the greeting too: a server that floods instead of greeting gets nowhere', async () => {
    const error = await connectTo(
      {
        onConnect: (socket) => floodAndClose('* OK ', 'hello ', 16 * MiB)({ socket }),
      },
      beforeStartTls,
    );
    expectTooLarge(error, budget);
  });
});

describe('after login (finding 11)', () => {
  const limit = MiB;
  const small = { 'mail.imap.maxResponseBytes': String(limit) };

  it('stops an endless LIST line at mail.imap.maxResponseBytes', async () => {
    const client = await loggedIn(
      {
        commands: {
          LIST: floodAndClose('* LIST (\\HasNoChildren) "/" "', 'a'.repeat(1024), 8 * MiB),
        },
      },
      small,
    );
    expect(server?.received.some((line) => line.includes('AUTHENTICATE XOAUTH2'))).toBe(true);
    const error = await client.list().catch((e: unknown) => e);
    expectTooLarge(error, limit);
    expect((error as Error).message).toContain('mail.imap.maxResponseBytes');
    await server?.connectionClosed();
    expect(client.usable).toBe(false);
  });

  it('bounds an endless LIST of many small entries as one reply', async () => {
    const client = await loggedIn(
      {
        commands: {
          LIST: floodAndClose('', '* LIST (\\HasNoChildren) "/" "folder"\r\n', 8 * MiB),
        },
      },
      small,
    );
    const error = await client.list().catch((e: unknown) => e);
    expectTooLarge(error, limit);
    await server?.connectionClosed();
  });

  it('refuses an announced literal larger than the bound outside a message body', async () => {
    const client = await loggedIn(
      {
        commands: {
          LIST: floodAndClose(`* LIST () "/" {${4 * limit}}\r\n`, 'x'.repeat(4096), 8 * MiB),
        },
      },
      small,
    );
    const error = await client.list().catch((e: unknown) => e);
    const { announced, received } = expectTooLarge(error, limit);
    expect(announced).toBe(4 * limit);
    expect(received).toBeLessThan(CHUNK);
  });

  it.each([
    ['mid-literal', '* LIST () "/" {50}\r\nINBOX/par', /in the middle of a response/],
    ['mid-line', '* LIST (\\HasNoChildren) "/" "INB', /in the middle of a response/],
    ['between responses', '* LIST (\\HasNoChildren) "/" "INBOX"\r\n', /before answering LIST/],
  ])('a reply cut off %s is a ConnectionError naming the cause', async (_where, sent, message) => {
    const client = await loggedIn({
      commands: {
        LIST: ({ socket }) => {
          socket.end(sent);
        },
      },
    });
    const error = await client.list().catch((e: unknown) => e);
    expect(isKalistoError(error)).toBe(true);
    expect(error).toMatchObject({ name: 'ConnectionError', code: 'IMAP_CONNECTION_CLOSED', transient: true });
    expect((error as Error).message).toMatch(/closed the connection/);
    expect((error as Error).message).toMatch(message);
  });

  it('leaves a silent server to the inactivity timeout: the client closed that one, not the server', async () => {
    const client = await loggedIn(
      { commands: { LIST: ({ socket }) => void socket.write('* LIST (\\HasNoChildren) "/" "INB') } },
      { 'mail.imap.timeout': '300' },
    );
    const error = await client.list().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'NoConnection' });
  });

  it('a message body cut off mid-literal fails the fetch with IMAP_CONNECTION_CLOSED', async () => {
    const client = await loggedIn({
      commands: {
        SELECT: ({ socket, tag }) => {
          socket.write(
            `* 1 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n${tag} OK [READ-WRITE] SELECT completed\r\n`,
          );
        },
        FETCH: ({ socket }) => {
          socket.end(`* 1 FETCH (UID 1 BODY[] {100000}\r\n${'x'.repeat(5000)}`);
        },
      },
    });
    await client.mailboxOpen('INBOX');
    const error = await client.fetchOne('1', { source: true }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ConnectionError', code: 'IMAP_CONNECTION_CLOSED' });
    expect((error as Error).message).toMatch(/closed the connection in the middle of a response to FETCH/);
  });

  it.each([
    ['one endless LIST line', '* LIST (\\HasNoChildren) "/" "', 'b'.repeat(64 * 1024)],
    ['endless LIST entries', '', '* LIST (\\HasNoChildren) "/" "folder"\r\n'.repeat(1024)],
  ])(
    'keeps RSS flat while a server floods 500 MB of %s (default bound, child process)',
    async (_shape, head, piece) => {
      const total = 500 * MiB;
      server = await startHostileImapServer({
        commands: {
          LIST: floodAndClose(head, piece, total),
        },
      });
      const report = await runClient(properties(server.port, plainLogin));
      expect(report).toMatchObject({ name: 'ConnectionError', code: 'IMAP_RESPONSE_TOO_LARGE' });
      expect(report.limit).toBe(16 * MiB);
      expect(report.growthBytes).toBeLessThan(64 * MiB);
      // The server's writes stopped at the bound plus what the two kernels' socket buffers took.
      expect(server.bytesWritten()).toBeLessThan(total / 4);
    },
    120_000,
  );
});

describe('watch() on a server that sends too much', () => {
  it('gives up with IMAP_RESPONSE_TOO_LARGE instead of reconnecting into the same flood', async () => {
    let searches = 0;
    let reconnected: () => void = () => {};
    const secondSearch = new Promise<'reconnected'>((resolve) => {
      reconnected = () => resolve('reconnected');
    });
    server = await startHostileImapServer({
      commands: {
        SELECT: ({ socket, tag }) => {
          socket.write(
            `* 1 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n${tag} OK [READ-WRITE] SELECT completed\r\n`,
          );
        },
        SEARCH: async ({ socket, tag }) => {
          searches += 1;
          if (searches > 1) {
            reconnected();
            socket.write(`* SEARCH\r\n${tag} OK SEARCH completed\r\n`);
            return;
          }
          await flood(socket, ' 123456789'.repeat(100), 8 * MiB, { head: '* SEARCH' });
          socket.destroy();
        },
      },
    });
    const session = bed.kalisto.session(
      properties(server.port, { ...plainLogin, 'mail.imap.maxResponseBytes': String(MiB) }),
    );
    const watcher = watch(session, 'INBOX', () => {}, {
      protocol: 'imap',
      start: 'all',
      backoff: { initialMs: 1, maxMs: 5 },
    });
    const outcome = await Promise.race([
      watcher.done.then(
        () => 'stopped',
        (e: unknown) => e,
      ),
      secondSearch,
    ]);
    await watcher.stop();
    expect(outcome).toMatchObject({ name: 'ConnectionError', code: 'IMAP_RESPONSE_TOO_LARGE', limit: MiB });
    expect(searches).toBe(1);
  });
});

interface ChildReport {
  name?: string;
  code?: string;
  limit?: number;
  growthBytes: number;
}

/** Runs test/flood-client.ts in its own Node process (its RSS is the client's alone). */
function runClient(props: Record<string, string>): Promise<ChildReport> {
  const script = fileURLToPath(new URL('./flood-client.ts', import.meta.url));
  const child = spawn(process.execPath, ['--conditions=dev-source', '--import', 'tsx', script], {
    cwd: fileURLToPath(new URL('.', import.meta.url)),
    env: { ...process.env, KALISTO_TEST_PROPERTIES: JSON.stringify(props) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (code === 0 && line) resolve(JSON.parse(line) as ChildReport);
      else reject(new Error(`flood-client exited with ${code}: ${stderr}`));
    });
  });
}
