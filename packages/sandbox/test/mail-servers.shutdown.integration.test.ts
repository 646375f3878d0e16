/**
 * Start-up and shutdown of the three mail servers: a start that fails half-way closes what it
 * opened, and close() ends every connection — plain, authenticated, TLS mid-handshake, STARTTLS
 * mid-handshake, half-open — leaving no socket, server or timer behind.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MailServerOptions, RunningMailServer } from '../src/contracts.js';
import { startImapServer } from '../src/imap/index.js';
import { createMailStore } from '../src/mail-store.js';
import { startPop3Server } from '../src/pop3/index.js';
import { startSmtpServer } from '../src/smtp/index.js';
import { createSandboxTls, type SandboxTls } from '../src/tls.js';
import { activeResources, eventually, LineClient, within } from './line-client.js';
import { fakeVerifier, xoauth2 } from './pop3-smtp-fixtures.js';

const USER = 'adele@contoso.example';
const TOKEN = 'valid-token';

type Step = readonly [line: string, reply: RegExp];

/** How each protocol greets, logs in and starts TLS on its plain port. */
interface Dialect {
  start(options: MailServerOptions): Promise<RunningMailServer>;
  greeting: RegExp;
  login: readonly Step[];
  startTls: readonly Step[];
}

const DIALECTS: Record<'imap' | 'pop3' | 'smtp', Dialect> = {
  imap: {
    start: startImapServer,
    greeting: /^\* OK/,
    login: [[`a1 AUTHENTICATE XOAUTH2 ${xoauth2(USER, TOKEN)}`, /^a1 OK/]],
    startTls: [['a1 STARTTLS', /^a1 OK/]],
  },
  pop3: {
    start: startPop3Server,
    greeting: /^\+OK/,
    login: [
      ['AUTH XOAUTH2', /^\+ ?$/],
      [xoauth2(USER, TOKEN), /^\+OK/],
    ],
    startTls: [['STLS', /^\+OK/]],
  },
  smtp: {
    start: startSmtpServer,
    greeting: /^220 /,
    login: [
      ['EHLO client.test', /^250 /],
      [`AUTH XOAUTH2 ${xoauth2(USER, TOKEN)}`, /^235 /],
    ],
    startTls: [
      ['EHLO client.test', /^250 /],
      ['STARTTLS', /^220 /],
    ],
  },
};

/** What a stopped server must not leave behind. */
const RESOURCE_KINDS = ['TCPSocketWrap', 'TCPServerWrap', 'Timeout'];

let tls: SandboxTls;
beforeAll(async () => {
  tls = await createSandboxTls();
});

function serverOptions(extra: Partial<MailServerOptions> = {}): MailServerOptions {
  return {
    store: createMailStore({ mailboxes: [USER] }),
    auth: fakeVerifier({ [TOKEN]: { mailbox: USER } }),
    tls: { key: tls.key, cert: tls.cert },
    ...extra,
  };
}

async function run(client: LineClient, steps: readonly Step[]): Promise<void> {
  for (const [line, reply] of steps) await client.send(line, reply);
}

describe.each(Object.entries(DIALECTS))('%s server', (_name, dialect) => {
  let server: RunningMailServer | undefined;
  let blocker: Server | undefined;
  const clients: LineClient[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) client.socket.destroy();
    await server?.close();
    server = undefined;
    if (blocker) await new Promise((resolve) => blocker?.close(resolve));
    blocker = undefined;
  });

  it.each([
    ['plain', 'tlsPort'],
    ['implicit-TLS', 'port'],
  ] as const)('closes its %s listener when the other port is taken', async (_listener, takenOption) => {
    blocker = createServer().listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const taken = (blocker.address() as { port: number }).port;
    const other = takenOption === 'port' ? 'tlsPort' : 'port';

    // The other listener takes any free port (0): whichever it got, it must not outlive the failure.
    await expect(dialect.start(serverOptions({ [takenOption]: taken, [other]: 0 }))).rejects.toMatchObject({
      code: 'EADDRINUSE',
    });
    await new Promise((resolve) => blocker?.close(resolve));
    blocker = undefined;
    const listeners = () => activeResources(['TCPServerWrap']).TCPServerWrap;
    await eventually(() => listeners() === 0);
    expect(listeners()).toBe(0);
  });

  it('close() ends a TCP client that never starts the implicit TLS handshake', async () => {
    server = await dialect.start(serverOptions());
    const silent = await LineClient.plain(server.tlsPort);
    clients.push(silent);
    await within(server.close(), 'close() waits on an unfinished TLS handshake');
    server = undefined;
    await within(silent.closed, 'the client socket stays open');
  });

  it('close() ends connections of every kind and leaves no socket, server or timer', async () => {
    const before = activeResources(RESOURCE_KINDS);
    const running = await dialect.start(serverOptions());
    server = running;

    const plain = await LineClient.plain(running.port);
    await plain.expect(dialect.greeting);
    const silentTls = await LineClient.plain(running.tlsPort);
    const partialHello = await LineClient.plain(running.tlsPort);
    // The first bytes of a TLS ClientHello record: the server waits for the rest.
    partialHello.socket.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]));
    const greeted = await LineClient.tls(running.tlsPort, tls.ca);
    await greeted.expect(dialect.greeting);
    const authenticated = await LineClient.tls(running.tlsPort, tls.ca);
    await authenticated.expect(dialect.greeting);
    await run(authenticated, dialect.login);
    const upgrading = await LineClient.plain(running.port);
    await upgrading.expect(dialect.greeting);
    await run(upgrading, dialect.startTls);
    const halfOpen = await LineClient.plain(running.port, { allowHalfOpen: true });
    await halfOpen.expect(dialect.greeting);
    const all = [plain, silentTls, partialHello, greeted, authenticated, upgrading, halfOpen];
    clients.push(...all);

    await within(running.close(), 'close() did not finish');
    server = undefined;
    await within(Promise.all(all.map((client) => client.ended)), 'a connection was not ended');
    // The half-open client keeps its side open by choice; the test ends it, the server already did.
    halfOpen.socket.destroy();
    await within(Promise.all(all.map((client) => client.closed)), 'a client socket stays open');
    // At most what there was before the start (the test runner's own timers come and go).
    const leftovers = () =>
      Object.entries(activeResources(RESOURCE_KINDS)).filter(([kind, count]) => count > (before[kind] ?? 0));
    await eventually(() => leftovers().length === 0);
    expect(Object.fromEntries(leftovers())).toEqual({});
  });
});
