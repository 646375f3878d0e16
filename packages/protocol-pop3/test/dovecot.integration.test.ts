import { chown, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type RunningDovecot, startDovecot } from '@kalisto/interop-servers';
import { type Sandbox, startSandbox } from '@kalisto/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPop3, type Pop3Client } from '../src/index.js';
import { trickyMessage } from './helpers.js';

// Interoperability with a POP3 server nobody here wrote: Debian's Dovecot, validating sandbox
// tokens through the sandbox's introspection endpoint.
describe('against real Dovecot', () => {
  let sandbox: Sandbox;
  let dovecot: RunningDovecot;
  const user = 'megan@contoso.example';
  const messages = Array.from({ length: 40 }, (_, i) => trickyMessage(i, i * 3));

  /** Delivers the messages into the user's Maildir, as Postfix would. */
  async function deliver(mailbox = user, mail: readonly Buffer[] = messages): Promise<void> {
    const root = join(dovecot.mailRoot, mailbox);
    for (const sub of ['', 'new', 'cur', 'tmp']) {
      await mkdir(join(root, sub), { recursive: true });
      await chown(join(root, sub), dovecot.mailUid, dovecot.mailUid);
    }
    for (const [i, message] of mail.entries()) {
      const file = join(root, 'new', `${1_700_000_000 + i}.M${i}P1.kalisto`);
      await writeFile(file, message);
      await chown(file, dovecot.mailUid, dovecot.mailUid);
    }
  }

  async function login(port: number, secure: boolean, mailbox = user): Promise<Pop3Client> {
    const client = await connectPop3({
      host: '127.0.0.1',
      port,
      secure,
      ca: sandbox.ca,
      servername: 'localhost',
    });
    const { token } = await sandbox.hooks.mintToken({ upn: mailbox });
    await client.authenticate({ user: mailbox, accessToken: token });
    return client;
  }

  beforeAll(async () => {
    sandbox = await startSandbox({ mail: false });
    dovecot = await startDovecot({
      introspectionUrl: sandbox.endpoints.introspectionUrl,
      ca: sandbox.ca,
      cert: sandbox.tls.cert,
      key: sandbox.tls.key,
    });
    await deliver();
  });

  afterAll(async () => {
    await dovecot?.stop();
    await sandbox?.stop();
  });

  it('pop3s: XOAUTH2 login, pipelined download byte-exact, UIDL, TOP', async () => {
    const client = await login(dovecot.pop3s, true);
    expect(client.pipelining).toBe(true);
    expect(await client.stat()).toEqual({
      count: messages.length,
      size: messages.reduce((sum, m) => sum + m.length, 0),
    });
    const downloaded = await client.download({ window: 8 });
    expect(downloaded.map((m) => m.data)).toEqual(messages);
    expect(new Set(downloaded.map((m) => m.uid)).size).toBe(messages.length);
    const top = await client.top(1, 0);
    expect(top.toString('latin1')).toBe(
      `${(messages[0] as Buffer).toString('latin1').split('\r\n\r\n')[0]}\r\n\r\n`,
    );
    await client.close();
  });

  it('pop3s with default settings: 400 dot-heavy messages of every size byte-exact through retrMany and download', async () => {
    // Bodies of dots only, lone-dot lines and stuffed lines, sized so that TLS records and the
    // reader's batches end at every kind of place: inside `\r\n.`, between it and `\r\n`, mid-line.
    const mailbox = 'adele@contoso.example';
    const dotty = Array.from({ length: 400 }, (_, i) => {
      const lines = [`Subject: dots ${i}`, ''];
      for (let n = 0; n < (i * 37) % 1500; n++)
        lines.push(n % 3 === 0 ? '.' : n % 3 === 1 ? '..' : `.${'.'.repeat(n % 11)}x`);
      return Buffer.from(`${lines.join('\r\n')}\r\n`, 'latin1');
    });
    await deliver(mailbox, dotty);
    const client = await login(dovecot.pop3s, true, mailbox);
    const numbers = dotty.map((_, i) => i + 1);
    const retrieved: Buffer[] = [];
    for await (const message of client.retrMany(numbers)) retrieved.push(message.data);
    expect(retrieved.length).toBe(dotty.length);
    expect(retrieved.findIndex((data, i) => !data.equals(dotty[i] as Buffer))).toBe(-1);
    const downloaded = await client.download();
    expect(downloaded.findIndex((m, i) => m.number !== i + 1 || !m.data.equals(dotty[i] as Buffer))).toBe(-1);
    // The connection is in step afterwards: a lock-step command gets its own reply.
    expect((await client.stat()).count).toBe(dotty.length);
    await client.close();
  });

  it('pop3 with STLS, then OAUTHBEARER', async () => {
    const client = await connectPop3({
      host: '127.0.0.1',
      port: dovecot.pop3,
      secure: false,
      ca: sandbox.ca,
      servername: 'localhost',
      saslMechanisms: ['OAUTHBEARER'],
    });
    expect(client.secure).toBe(true);
    const { token } = await sandbox.hooks.mintToken({ upn: user });
    await client.authenticate({ user, accessToken: token });
    expect(await client.retrBuffer(2)).toEqual(messages[1]);
    await client.close();
  });

  it('a token for another user is an AuthenticationError with Dovecot’s text and no token', async () => {
    const client = await connectPop3({
      host: '127.0.0.1',
      port: dovecot.pop3s,
      ca: sandbox.ca,
      servername: 'localhost',
    });
    const { token } = await sandbox.hooks.mintToken({ upn: 'adele@contoso.example' });
    const error = await client.authenticate({ user, accessToken: token }).then(
      () => undefined,
      (e: Error & { serverText?: string }) => e,
    );
    expect(error).toMatchObject({ name: 'AuthenticationError' });
    expect(error?.serverText).toMatch(/^-ERR /);
    expect(`${error?.message} ${error?.stack} ${JSON.stringify(error)}`).not.toContain(token);
    await client.close();
  });
});
