/**
 * mail.<p>.maxConnections against the sandbox's IMAP server: concurrent store() calls queue behind
 * the limit. Counted at the server (its open IMAP sessions, sampled at every accept of a plain TCP
 * relay in front of it and after every login) and at the relay (connections made).
 */
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ImapTestBed, startTestBed } from './helpers.js';

/** A TCP relay to `port` that counts connections, open and at most at once. */
async function countingRelay(port: number, sample: () => void) {
  const stats = { total: 0, open: 0, most: 0 };
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    stats.total += 1;
    stats.open += 1;
    stats.most = Math.max(stats.most, stats.open);
    sample();
    sockets.add(client);
    const upstream = connect(port, '127.0.0.1');
    client.pipe(upstream).pipe(client);
    const done = () => {
      client.destroy();
      upstream.destroy();
    };
    client.once('close', () => {
      stats.open -= 1;
      sockets.delete(client);
      done();
    });
    client.on('error', done);
    upstream.on('error', done);
    upstream.once('close', done);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    stats,
    port: (server.address() as { port: number }).port,
    async close() {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

let bed: ImapTestBed;
let relay: Awaited<ReturnType<typeof countingRelay>>;
/** The most IMAP sessions the sandbox held open at once, as sampled. */
let serverMost = 0;
const sampleServer = () => {
  const open = bed.sandbox.servers.find((s) => s.protocol === 'imap')?.connections() ?? 0;
  serverMost = Math.max(serverMost, open);
};

beforeAll(async () => {
  bed = await startTestBed();
  relay = await countingRelay(bed.sandbox.endpoints.imaps.port, sampleServer);
});
afterAll(async () => {
  await relay?.close();
  await bed?.stop();
});

function session(extra: Record<string, string>) {
  return bed.kalisto.session({
    ...bed.sandbox.properties,
    'mail.imaps.port': String(relay.port),
    ...extra,
  });
}

describe('mail.imaps.maxConnections', () => {
  it('30 concurrent store() calls never hold more than 5 connections at the server', async () => {
    const s = session({ 'mail.imaps.maxConnections': '5' });
    await s.tokens.getToken();
    const before = relay.stats.total;
    serverMost = 0;
    const used = await Promise.all(
      Array.from({ length: 30 }, async () => {
        const client = (await s.store('imaps')) as ImapFlow;
        sampleServer();
        const status = await client.status('INBOX', { messages: true });
        await client.logout();
        return status === false ? undefined : status.path;
      }),
    );
    expect(used).toEqual(Array(30).fill('INBOX'));
    expect(relay.stats.total - before).toBe(30);
    expect(serverMost).toBeGreaterThan(0);
    expect(serverMost).toBeLessThanOrEqual(5);
    await s.close();
  });

  it('a store() that finds no free connection within the wait fails naming the property; a close frees one', async () => {
    const s = session({ 'mail.imaps.maxConnections': '1', 'mail.imaps.maxConnections.wait': '300' });
    const first = (await s.store('imaps')) as ImapFlow;
    const { accessToken } = await s.tokens.getToken();
    const error = await s.store('imaps').catch((e: unknown) => e);
    const said = [(error as Error).message, (error as Error).stack, JSON.stringify(error)].join('\n');
    expect(said).not.toContain(accessToken.split('.')[2]);
    expect(said).not.toContain(bed.sandbox.properties['o365.oauth.clientSecret']);
    expect(error).toMatchObject({ name: 'ConnectionError', code: 'CONNECTION_LIMIT', protocol: 'imaps' });
    expect((error as Error).message).toContain('mail.imaps.maxConnections');
    expect((error as { hint: string }).hint).toContain('mail.imaps.maxConnections.wait');
    const waiting = s.store('imaps');
    await first.logout();
    const second = (await waiting) as ImapFlow;
    expect(second.authenticated).toBeTruthy();
    await s.close();
  });
});
