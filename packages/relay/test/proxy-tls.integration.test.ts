/**
 * TLS on the clients' side of the IMAP and POP3 listeners, with a certificate generated for the
 * test: STARTTLS/STLS (and no password before it where the listener says so), implicit TLS, the
 * TLS 1.2 floor refusing a TLS 1.1 client (and a lowered floor admitting it), and plain text sent
 * ahead of STARTTLS never reaching the TLS session.
 */
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import type { Kalisto } from '@kalisto/core';
import { createSandboxTls, type Sandbox, type SandboxTls, startSandbox } from '@kalisto/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createImapProxy,
  createPop3Proxy,
  type MailProxy,
  type MailProxyOptions,
} from '../src/proxy/index.js';
import {
  expectNoSecrets,
  fetchedBodies,
  kalistoFor,
  type LogSink,
  logSink,
  pemFile,
  RELAY_PASSWORD,
  rawClient,
  relayAccounts,
  runCurl,
  runPython,
} from './proxy-fixtures.js';

let sandbox: Sandbox;
let kalisto: Kalisto;
let listenerTls: SandboxTls;
let caFile: string;
let mailbox: string;
let accounts: ReturnType<typeof relayAccounts>;
const log: LogSink = logSink();
const proxies: MailProxy[] = [];
const seen: string[] = [];

function inbox() {
  const folder = sandbox.store.mailbox(mailbox)?.folder('Inbox');
  if (folder === undefined) throw new Error('no Inbox');
  return folder;
}

/** Starts a listener with the generated certificate; resolves with its port. */
async function start(
  kind: 'imap' | 'pop3',
  tls: MailProxyOptions['tls']['mode'],
  extra: Partial<MailProxyOptions> = {},
): Promise<number> {
  const create = kind === 'imap' ? createImapProxy : createPop3Proxy;
  const proxy = create({
    port: 0,
    tls: { mode: tls, cert: listenerTls.cert, key: listenerTls.key, ...extra.tls },
    logger: log.logger,
    ...accounts.options,
    ...extra,
  });
  proxies.push(proxy);
  return (await proxy.listen()).port;
}

const login = { op: 'login', user: '', password: RELAY_PASSWORD };

/** What `socket` sends from now until the text matches `pattern` (rejects if it closes first). */
function received(socket: Socket, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      if (!pattern.test(text)) return;
      socket.off('data', onData);
      socket.off('close', onClose);
      resolve(text);
    };
    const onClose = () => reject(new Error(`closed before ${pattern}: ${text}`));
    socket.on('data', onData);
    socket.once('close', onClose);
  });
}

beforeAll(async () => {
  [sandbox, listenerTls] = await Promise.all([startSandbox(), createSandboxTls()]);
  caFile = pemFile(listenerTls.ca);
  kalisto = kalistoFor(log);
  mailbox = sandbox.properties['o365.user'] as string;
  login.user = mailbox;
  accounts = relayAccounts([
    { user: mailbox, password: RELAY_PASSWORD, session: kalisto.session(sandbox.properties) },
  ]);
  sandbox.store.deliver([mailbox], Buffer.from('Subject: tls\r\n\r\nover TLS on both sides\r\n'));
});

afterAll(async () => {
  for (const proxy of proxies) await proxy.close({ timeoutMs: 1000 });
  await kalisto?.close();
  await sandbox?.stop();
  expectNoSecrets([...log.lines, ...seen], [RELAY_PASSWORD, sandbox.fixtures.confidentialApp.secret]);
});

describe('IMAP listener TLS', () => {
  it('STARTTLS with no password before it: LOGINDISABLED, PRIVACYREQUIRED; after STARTTLS python imaplib logs in', async () => {
    const port = await start('imap', 'starttls', { allowPlainLogin: false });
    const plain = await rawClient(port);
    const greeting = await plain.until(/^\* OK .*\r\n/);
    expect(greeting).toMatch(/\[CAPABILITY IMAP4rev1 ID SASL-IR STARTTLS LOGINDISABLED\]/);
    plain.send(`a1 LOGIN ${mailbox} x\r\na2 AUTHENTICATE PLAIN\r\na3 LOGOUT\r\n`);
    const refused = await plain.closed();
    expect(refused).toContain('a1 NO [PRIVACYREQUIRED]');
    expect(refused).toContain('a2 NO [PRIVACYREQUIRED]');

    const events = await runPython('imap', {
      host: '127.0.0.1',
      port,
      tls: 'starttls',
      ca: caFile,
      steps: [login, { op: 'select' }, { op: 'fetch-all' }],
    });
    seen.push(...events.map((e) => JSON.stringify(e)));
    expect(events.find((e) => e.event === 'login')).toMatchObject({ typ: 'OK' });
    expect(fetchedBodies(events)).toEqual(inbox().messages.map((m) => m.raw));
  });

  it('implicit TLS: curl imaps:// with the certificate verified fetches byte-exact', async () => {
    const port = await start('imap', 'implicit');
    const first = inbox().messages[0];
    const result = await runCurl([
      '--cacert',
      caFile,
      '--user',
      `${mailbox}:${RELAY_PASSWORD}`,
      `imaps://127.0.0.1:${port}/INBOX;UID=${first?.uid}`,
    ]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toEqual(first?.raw);
  });

  it('the default floor (TLS 1.2) refuses a TLS 1.1 client; a floor lowered to TLSv1.1 admits it', async () => {
    const strict = await start('imap', 'implicit');
    const legacy = await start('imap', 'implicit', {
      tls: { mode: 'implicit', cert: listenerTls.cert, key: listenerTls.key, minVersion: 'TLSv1.1' },
    });
    const plan = (port: number) => ({
      host: '127.0.0.1',
      port,
      tls: 'implicit',
      ca: caFile,
      maxTls: 'TLSv1.1',
      steps: [login],
    });
    const refused = await runPython('imap', plan(strict));
    expect(refused).toEqual([expect.objectContaining({ event: 'error', op: 'connect', kind: 'SSLError' })]);
    const admitted = await runPython('imap', plan(legacy));
    expect(admitted.find((e) => e.event === 'login')).toMatchObject({ typ: 'OK' });
  });

  it('commands sent in clear text behind STARTTLS are dropped, not run inside the TLS session', async () => {
    const port = await start('imap', 'starttls');
    const raw = connectTcp({ host: '127.0.0.1', port });
    await received(raw, /^\* OK .*\r\n/);
    // Sent in one packet with STARTTLS: a relay that kept its buffer would answer a2 inside TLS.
    raw.write(`a1 STARTTLS\r\na2 LOGIN "${mailbox}" "x"\r\n`);
    await received(raw, /a1 OK .*\r\n/);
    const secure = connectTls({ socket: raw, ca: listenerTls.ca, servername: 'localhost' });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', resolve);
      secure.once('error', reject);
    });
    secure.write('a3 CAPABILITY\r\n');
    const inside = await received(secure, /a3 OK .*\r\n/);
    secure.destroy();
    expect(inside).not.toContain('a2');
    expect(inside).toMatch(/^\* CAPABILITY IMAP4rev1 ID SASL-IR AUTH=PLAIN\r\na3 OK/);
  });
});

describe('POP3 listener TLS', () => {
  it('STLS with no password before it: CAPA offers STLS only; after STLS python poplib logs in and RETRs', async () => {
    const port = await start('pop3', 'starttls', { allowPlainLogin: false });
    const plain = await rawClient(port);
    await plain.until(/^\+OK .*\r\n/);
    plain.send('CAPA\r\nUSER someone\r\nQUIT\r\n');
    const before = await plain.closed();
    expect(before).toMatch(/\r\nSTLS\r\n/);
    expect(before).not.toMatch(/\r\nUSER\r\n|SASL/);
    expect(before).toContain('-ERR Start TLS first (STLS), then log in.');

    const events = await runPython('pop3', {
      host: '127.0.0.1',
      port,
      tls: 'starttls',
      ca: caFile,
      steps: [{ op: 'capa' }, login, { op: 'retr', which: 1 }, { op: 'quit' }],
    });
    seen.push(...events.map((e) => JSON.stringify(e)));
    expect(events.find((e) => e.event === 'capa')?.capabilities).toEqual(
      expect.arrayContaining(['USER', 'SASL']),
    );
    expect(events.find((e) => e.event === 'login')?.reply).toBe('+OK Logged in.');
    const body = events.find((e) => e.event === 'retr')?.body as string;
    expect(Buffer.from(body, 'base64')).toEqual(inbox().messages[0]?.raw);
  });

  it('implicit TLS: curl pop3s:// with the certificate verified RETRs byte-exact', async () => {
    const port = await start('pop3', 'implicit');
    const result = await runCurl([
      '--cacert',
      caFile,
      '--user',
      `${mailbox}:${RELAY_PASSWORD}`,
      `pop3s://127.0.0.1:${port}/1`,
    ]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toEqual(inbox().messages[0]?.raw);
  });
});
