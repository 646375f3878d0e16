import { once } from 'node:events';
import { text } from 'node:stream/consumers';
import type { KalistoSession } from '@kalisto/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Pop3Client } from '../src/index.js';
import { inboxOf, type Pop3TestBed, seedInbox, startTestBed, trickyMessage } from './helpers.js';

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

function openSession(): KalistoSession {
  const session = bed.kalisto.session(bed.sandbox.properties);
  sessions.push(session);
  return session;
}

describe.each(['pop3s', 'pop3'] as const)('%s against the sandbox', (protocol) => {
  it('logs in with a session token and reads stat, list, uidl, top and retr byte-exact', async () => {
    const messages = [trickyMessage(1), trickyMessage(2, 3), trickyMessage(3, 60)];
    seedInbox(bed.sandbox, bed.user, messages);
    const client: Pop3Client = await openSession().store(protocol);
    expect(client.secure).toBe(true);
    expect(client.capabilities.get('SASL')).toContain('XOAUTH2');

    expect(await client.stat()).toEqual({
      count: 3,
      size: messages.reduce((sum, m) => sum + m.length, 0),
    });
    expect(await client.list()).toEqual(messages.map((m, i) => ({ number: i + 1, size: m.length })));
    expect(await client.list(2)).toEqual({ number: 2, size: messages[1]?.length });
    const uids = await client.uidl();
    expect(uids.map((u) => u.number)).toEqual([1, 2, 3]);
    expect(new Set(uids.map((u) => u.uid)).size).toBe(3);
    expect(await client.uidl(3)).toEqual(uids[2]);

    const stored = inboxOf(bed.sandbox, bed.user);
    expect(await client.retrBuffer(1)).toEqual(stored[0]);
    const streamed = await text(client.retr(3));
    expect(Buffer.from(streamed, 'latin1')).toEqual(stored[2]);

    const top = await client.top(1, 2);
    const header = (stored[0] as Buffer).toString('latin1').split('\r\n\r\n')[0];
    expect(top.toString('latin1')).toBe(`${header}\r\n\r\n.\r\n..\r\n`);
    await client.quit();
    expect(client.closed).toBe(true);
  });
});

describe('implicit TLS to the plain port', () => {
  it('POP3_TLS_FAILED pointing at mail.pop3s.ssl.enable=false and mail.pop3s.starttls.enable=true', async () => {
    const session = bed.kalisto.session({
      ...bed.sandbox.properties,
      'mail.pop3s.port': String(bed.sandbox.endpoints.pop3.port),
    });
    sessions.push(session);
    const error = await session.store('pop3s').catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ConnectionError', code: 'POP3_TLS_FAILED', transient: false });
    const { message, hint } = error as { message: string; hint: string };
    expect(message).toContain('wrong version number');
    expect(hint).toContain('mail.pop3s.ssl.enable=false and mail.pop3s.starttls.enable=true');
    expect(hint).not.toContain('kalisto.tls.ca');
  });
});

describe('pipelined retrieval', () => {
  it('downloads 200 messages in pipelined batches, byte-exact and in order', async () => {
    const messages = Array.from({ length: 200 }, (_, i) => trickyMessage(i, i % 40));
    seedInbox(bed.sandbox, bed.user, messages);
    const client = await openSession().store('pop3s');
    expect(client.pipelining).toBe(true);

    const downloaded = await client.download({ window: 16 });
    const stored = inboxOf(bed.sandbox, bed.user);
    expect(downloaded.map((m) => m.number)).toEqual(stored.map((_, i) => i + 1));
    for (const [i, message] of downloaded.entries())
      expect(message.data.equals(stored[i] as Buffer)).toBe(true);
    expect(new Set(downloaded.map((m) => m.uid)).size).toBe(200);
    await client.quit();
  });

  it('retrMany yields in the order asked, including repeats', async () => {
    seedInbox(bed.sandbox, bed.user, [trickyMessage(1), trickyMessage(2), trickyMessage(3)]);
    const client = await openSession().store('pop3s');
    const stored = inboxOf(bed.sandbox, bed.user);
    const seen: number[] = [];
    for await (const message of client.retrMany([3, 1, 3, 2])) {
      seen.push(message.number);
      expect(message.data).toEqual(stored[message.number - 1]);
    }
    expect(seen).toEqual([3, 1, 3, 2]);
    await client.close();
  });
});

describe('streaming RETR', () => {
  it('a slow reader gets the exact bytes; a stream destroyed mid-message leaves the client usable', async () => {
    const line = `.${'x'.repeat(998)}\r\n`;
    const big = Buffer.from(`Subject: big\r\n\r\n${line.repeat(2_000)}`, 'latin1');
    seedInbox(bed.sandbox, bed.user, [big, trickyMessage(2)]);
    const client = await openSession().store('pop3s');

    const chunks: Buffer[] = [];
    for await (const chunk of client.retr(1)) {
      chunks.push(chunk as Buffer);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(Buffer.concat(chunks).equals(big)).toBe(true);

    const abandoned = client.retr(1);
    abandoned.once('data', () => abandoned.destroy());
    await once(abandoned, 'close');
    expect(await client.retrBuffer(2)).toEqual(trickyMessage(2));
    await client.quit();
  });
});

describe('deletion', () => {
  it('dele then quit removes the messages from the store', async () => {
    seedInbox(bed.sandbox, bed.user, [trickyMessage(1), trickyMessage(2), trickyMessage(3)]);
    const kept = inboxOf(bed.sandbox, bed.user)[1];
    const client = await openSession().store('pop3s');
    await client.dele(1);
    await client.dele(3);
    expect((await client.stat()).count).toBe(1);
    await client.quit();
    expect(inboxOf(bed.sandbox, bed.user)).toEqual([kept]);
  });

  it('rset keeps them, and close() without quit commits nothing', async () => {
    seedInbox(bed.sandbox, bed.user, [trickyMessage(1), trickyMessage(2)]);
    const before = inboxOf(bed.sandbox, bed.user);
    const client = await openSession().store('pop3s');
    await client.dele(1);
    await client.rset();
    expect((await client.stat()).count).toBe(2);
    await client.dele(2);
    await client.close();
    expect(inboxOf(bed.sandbox, bed.user)).toEqual(before);
  });

  it('a command on a deleted message is a Pop3ReplyError with the server text', async () => {
    seedInbox(bed.sandbox, bed.user, [trickyMessage(1)]);
    const client = await openSession().store('pop3s');
    await client.dele(1);
    await expect(client.retrBuffer(1)).rejects.toMatchObject({
      name: 'Pop3ReplyError',
      code: 'POP3_COMMAND_FAILED',
      command: 'RETR',
      serverText: '-ERR The message was already deleted.',
    });
    await client.close();
  });
});
