/**
 * createRelay with kalisto.relay.queue: the client's 250 says "queued" (the message is on disk or in
 * Redis) and the queue's worker delivers it through the mailbox session; upstream down → retried and
 * delivered once it is back; upstream 5xx → a dead letter an operator can list. Upstream: the
 * sandbox behind a forwarder that can play "down".
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURE } from '@kalisto/sandbox';
import { type RedisServer, startRedisServer } from '@kalisto/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  findOverImap,
  type GatedForwarder,
  PRINTER,
  type RelayBed,
  rawMessage,
  run,
  type StartedRelay,
  startGatedForwarder,
  startRelayBed,
} from './helpers.js';

const { adele, megan } = FIXTURE.users;
let bed: RelayBed;
let forwarder: GatedForwarder;
let spooled: StartedRelay;

const listener = (hash: string) => ({
  'kalisto.relay.listener.local.protocol': 'smtp',
  'kalisto.relay.listener.local.port': '0',
  'kalisto.relay.listener.local.tls': 'none',
  'kalisto.relay.user.printer.password': hash,
  'kalisto.relay.user.printer.mailbox': adele,
  'kalisto.relay.admin.port': '0',
});

beforeAll(async () => {
  bed = await startRelayBed((_s, hash) => listener(hash));
  const { host, port } = bed.sandbox.endpoints.smtp;
  forwarder = await startGatedForwarder(host, port);
  spooled = await bed.startRelay(
    (_s, hash) => ({
      ...listener(hash),
      'kalisto.relay.queue': 'spool',
      'kalisto.relay.queue.path': mkdtempSync(join(tmpdir(), 'kalisto-relay-spool-')),
      'kalisto.relay.queue.poll': '20',
    }),
    () => ({ 'mail.smtp.port': String(forwarder.port), 'mail.smtp.connectiontimeout': '5000' }),
  );
}, 60_000);

afterAll(async () => {
  await bed?.stop();
  await forwarder?.close();
});

/** Sends one message through `relay` with swaks; returns the queue id from its 250. */
async function send(relay: StartedRelay, to: string, subject: string): Promise<{ id: string; raw: Buffer }> {
  const raw = rawMessage(adele, to, subject);
  const file = join(bed.dir, `${subject.replace(/\W/g, '-')}.eml`);
  writeFileSync(file, raw);
  const result = await run('swaks', [
    ...['--server', `127.0.0.1:${relay.port('local')}`, '--auth', 'PLAIN'],
    ...['--auth-user', PRINTER.user, '--auth-password', PRINTER.password, '--from', adele, '--to', to],
    ...['--data', `@${file}`],
  ]);
  const id = /<- {2}250 2\.0\.0 Queued as (\S+)/.exec(result.stdout)?.[1];
  if (!id) throw new Error(`not queued: ${result.stdout}`);
  // swaks ends DATA with one CRLF more than the file has.
  return { id, raw: Buffer.concat([raw, Buffer.from('\r\n')]) };
}

const queueOf = (relay: StartedRelay) => {
  const queue = relay.relay.queue;
  if (!queue) throw new Error('no queue');
  return queue;
};

describe('spool queue', () => {
  it('250 "Queued as <id>", then delivered by the worker, byte for byte', async () => {
    const subject = `spooled ${Date.now()}`;
    const { id, raw } = await send(spooled, megan, subject);
    expect(id).toMatch(/^[0-9a-z]{9}-[0-9a-f]{12}$/);
    await eventually(async () => (await findOverImap(bed, megan, subject)).length > 0);
    expect((await findOverImap(bed, megan, subject))[0]?.equals(raw)).toBe(true);
    await eventually(async () => (await queueOf(spooled).stats()).pending === 0);
  });

  it('upstream down: the message waits in the queue, and is delivered once upstream is back', async () => {
    const subject = `while down ${Date.now()}`;
    forwarder.down();
    try {
      const { id } = await send(spooled, megan, subject);
      const queue = queueOf(spooled);
      await eventually(async () =>
        (await queue.list()).some((m) => m.id === id && m.lastFailure !== undefined),
      );
      const [waiting] = (await queue.list()).filter((m) => m.id === id);
      expect(waiting).toMatchObject({ state: 'pending', lastFailure: { transient: true } });
      expect(waiting?.lastFailure?.reply).toMatch(/^451 4\.4\.1 /);
      forwarder.up();
      await queue.retry(id);
      await eventually(async () => (await findOverImap(bed, megan, subject)).length > 0);
      expect(await findOverImap(bed, megan, subject)).toHaveLength(1);
    } finally {
      forwarder.up();
    }
  });

  it('a recipient upstream refuses: a dead letter with its 550, listable', async () => {
    const { id } = await send(spooled, 'nobody@contoso.example', `dead ${Date.now()}`);
    const queue = queueOf(spooled);
    await eventually(async () => (await queue.list({ state: 'dead' })).some((m) => m.id === id));
    const [dead] = (await queue.list({ state: 'dead' })).filter((m) => m.id === id);
    expect(dead?.lastFailure).toMatchObject({ transient: false, deadReason: 'permanent' });
    expect(dead?.lastFailure?.reply).toMatch(/^550 5\.1\.10 /);
    await queue.drop(id);
    expect((await queue.list()).some((m) => m.id === id)).toBe(false);
  });

  it('/healthz checks the queue; /metrics shows its depth', async () => {
    const address = spooled.relay.adminAddress;
    const health = await fetch(`http://${address?.host}:${address?.port}/healthz`);
    expect(await health.json()).toEqual({ status: 'ok', checks: { listeners: true, queue: true } });
    const metrics = await (await fetch(`http://${address?.host}:${address?.port}/metrics`)).text();
    expect(metrics).toMatch(/^kalisto_relay_queue_messages\{state="pending"\} \d+$/m);
    expect(metrics).toMatch(/^kalisto_relay_messages_total\{listener="local",outcome="queued"\} [1-9]\d*$/m);
  });
});

describe('redis queue', () => {
  let redis: RedisServer;
  let shared: StartedRelay;
  beforeAll(async () => {
    redis = await startRedisServer();
    shared = await bed.startRelay((_s, hash) => ({
      ...listener(hash),
      'kalisto.relay.queue': 'redis',
      'kalisto.relay.queue.redis.url': redis.url,
    }));
  }, 60_000);
  afterAll(async () => {
    await shared?.relay.stop({ timeoutMs: 1_000 });
    await redis?.stop();
  });

  it('queued in Redis and delivered; with Redis gone, /healthz says the queue is down', async () => {
    const subject = `redis ${Date.now()}`;
    await send(shared, megan, subject);
    await eventually(async () => (await findOverImap(bed, megan, subject)).length > 0);
    await redis.kill();
    const address = shared.relay.adminAddress;
    const health = await fetch(`http://${address?.host}:${address?.port}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toEqual({ status: 'unavailable', checks: { listeners: true, queue: false } });
  });
});
