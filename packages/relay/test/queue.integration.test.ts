/**
 * The delivery queue's contract, run unchanged against both backends: the spool on real files and
 * BullMQ on a real redis-server. Backoff is a few ms; nothing asserts on time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RedisServer, startRedisServer } from '@kalisto/test-support';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Deliver,
  DeliveryFailure,
  type DeliveryQueue,
  type FailureRecord,
  openDeliveryQueue,
  type QueuedItem,
} from '../src/queue/index.js';
import {
  type Backend,
  envelopeFor,
  eventually,
  FAST,
  messageFor,
  openAt,
  type QueueLocation,
  readRecorded,
  recordingDeliver,
} from './queue-fixtures.js';

let redis: RedisServer;
const root = mkdtempSync(join(tmpdir(), 'kalisto-queue-'));
let counter = 0;

beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
  rmSync(root, { recursive: true, force: true });
});

function location(backend: Backend): QueueLocation {
  counter++;
  return backend === 'spool'
    ? { backend, path: join(root, `spool-${counter}`) }
    : { backend, url: redis.url, prefix: `t${counter}` };
}

const idle = (queue: DeliveryQueue) => async () => {
  const stats = await queue.stats();
  return stats.pending === 0 && stats.inFlight === 0;
};

describe.each(['spool', 'redis'] as const)('%s queue', (backend) => {
  it('delivers an enqueued message once, byte-exact, with its envelope', async () => {
    const where = location(backend);
    const records = join(root, `rec-${counter}`);
    const queue = await openAt(where);
    const raw = messageFor(1, 300_000);
    const id = await queue.enqueue({ ...envelopeFor(1), raw });
    expect(await queue.list()).toMatchObject([{ id, state: 'pending', size: raw.length, attempts: 0 }]);
    queue.start(recordingDeliver(records));
    await eventually(idle(queue), 'the queue to drain');
    await queue.close();

    const recorded = readRecorded(records);
    expect(recorded).toHaveLength(1);
    expect(recorded[0]?.id).toBe(id);
    expect(recorded[0]?.raw.equals(raw)).toBe(true);
    expect(recorded[0]?.item).toMatchObject({ ...envelopeFor(1), id, attempts: 0, size: raw.length });

    // Nothing is left to deliver again: a new queue on the same place finds it empty.
    const again = await openAt(where);
    expect(await again.stats()).toEqual({ pending: 0, dead: 0, inFlight: 0 });
    expect(await again.list()).toEqual([]);
    await again.close();
  });

  it('retries a transient failure with backoff, honouring retryAfterMs, then delivers', async () => {
    const attempts: number[] = [];
    const retrying: Array<{ failure: FailureRecord; next: number }> = [];
    const delivered: string[] = [];
    const deliver: Deliver = async (item) => {
      attempts.push(item.attempts);
      if (attempts.length <= 2) {
        throw new DeliveryFailure({
          transient: true,
          code: 432,
          reply: '432 4.3.2 Concurrent connections limit exceeded',
          retryAfterMs: 30,
        });
      }
      return { response: '250 2.0.0 OK' };
    };
    const observed = await openAt(location(backend), {
      ...FAST,
      observer: {
        retrying: (_item, failure, next) => retrying.push({ failure, next }),
        delivered: (item) => delivered.push(item.id),
      },
    });
    const id = await observed.enqueue({ ...envelopeFor(2), raw: messageFor(2) });
    observed.start(deliver);
    await eventually(() => delivered.length === 1, 'the delivery after two failures');
    await observed.close();

    expect(delivered).toEqual([id]);
    expect(attempts).toEqual([0, 1, 2]);
    expect(retrying).toHaveLength(2);
    for (const { failure, next } of retrying) {
      expect(failure).toMatchObject({ transient: true, code: 432, reply: expect.stringContaining('4.3.2') });
      expect(next - failure.at).toBeGreaterThanOrEqual(30);
    }
  });

  it('dead-letters a permanent failure with the reply; retry re-queues it, drop deletes', async () => {
    const queue = await openAt(location(backend));
    let refuse = true;
    const delivered: string[] = [];
    const deliver: Deliver = async (item) => {
      if (refuse) {
        throw new DeliveryFailure({
          transient: false,
          code: 550,
          reply: '550 5.7.60 SMTP; Client does not have permissions to send as this sender',
        });
      }
      delivered.push(item.id);
      return { response: '250 OK' };
    };
    const first = await queue.enqueue({ ...envelopeFor(3), raw: messageFor(3) });
    const second = await queue.enqueue({ ...envelopeFor(4), raw: messageFor(4) });
    queue.start(deliver);
    await eventually(async () => (await queue.stats()).dead === 2, 'both messages to be dead');

    expect(await queue.list({ state: 'pending' })).toEqual([]);
    const dead = await queue.list({ state: 'dead' });
    expect(dead.map((m) => m.id)).toEqual([first, second]);
    expect(dead[0]).toMatchObject({
      state: 'dead',
      inFlight: false,
      attempts: 1,
      mailbox: 'printer@contoso.example',
      envelope: envelopeFor(3).envelope,
      lastFailure: {
        transient: false,
        code: 550,
        deadReason: 'permanent',
        reply: expect.stringContaining('5.7.60'),
      },
    });
    expect(delivered).toEqual([]);

    refuse = false;
    await queue.retry(first);
    await eventually(() => delivered.length === 1, 'the retried message to be delivered');
    expect(delivered).toEqual([first]);

    await queue.drop(second);
    expect(await queue.list()).toEqual([]);
    expect(await queue.stats()).toEqual({ pending: 0, dead: 0, inFlight: 0 });
    await expect(queue.drop(second)).rejects.toMatchObject({ code: 'QUEUE_MESSAGE_NOT_FOUND' });
    await expect(queue.retry(second)).rejects.toMatchObject({ code: 'QUEUE_MESSAGE_NOT_FOUND' });
    await expect(queue.retry('../../etc/passwd')).rejects.toMatchObject({ code: 'QUEUE_MESSAGE_NOT_FOUND' });
    await queue.close();
  });

  it('dead-letters after maxAttempts transient failures, and after maxAge', async () => {
    const queue = await openAt(location(backend), { ...FAST, maxAttempts: 3 });
    const seen: QueuedItem[] = [];
    const failing: Deliver = async (item) => {
      seen.push(item);
      throw new DeliveryFailure({ transient: true, code: 451, reply: '451 4.4.1 upstream down' });
    };
    const id = await queue.enqueue({ ...envelopeFor(5), raw: messageFor(5) });
    queue.start(failing);
    await eventually(async () => (await queue.stats()).dead === 1, 'the message to run out of attempts');
    expect(seen.map((item) => item.attempts)).toEqual([0, 1, 2]);
    expect((await queue.list({ state: 'dead' }))[0]).toMatchObject({
      id,
      attempts: 3,
      lastFailure: { deadReason: 'attempts', transient: true, code: 451 },
    });
    await queue.close();

    const aged = await openAt(location(backend), { ...FAST, maxAgeMs: 1 });
    const old = await aged.enqueue({ ...envelopeFor(6), raw: messageFor(6) });
    aged.start(failing);
    await eventually(async () => (await aged.stats()).dead === 1, 'the message to expire');
    expect((await aged.list({ state: 'dead' }))[0]).toMatchObject({
      id: old,
      attempts: 1,
      lastFailure: { deadReason: 'expired' },
    });
    await aged.close();
  });

  it('close() lets the delivery in flight finish and records it', async () => {
    const where = location(backend);
    const queue = await openAt(where);
    const order: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let started = false;
    queue.start(async () => {
      started = true;
      await gate;
      order.push('delivered');
      return { response: '250 OK' };
    });
    await queue.enqueue({ ...envelopeFor(7), raw: messageFor(7) });
    await eventually(() => started, 'the delivery to start');
    const closing = queue.close({ timeoutMs: 20_000 }).then(() => order.push('closed'));
    await expect(queue.enqueue({ ...envelopeFor(8), raw: messageFor(8) })).rejects.toMatchObject({
      code: 'QUEUE_CLOSED',
    });
    release();
    await closing;
    expect(order).toEqual(['delivered', 'closed']);
    const after = await openAt(where);
    expect(await after.stats()).toEqual({ pending: 0, dead: 0, inFlight: 0 });
    await after.close();
  });

  it('close() gives up at its bound, aborts the attempt, and the message is delivered later', async () => {
    const where = location(backend);
    const queue = await openAt(where);
    let signal: AbortSignal | undefined;
    queue.start(
      (_item, _raw, context) =>
        new Promise((_resolve, reject) => {
          signal = context.signal;
          context.signal.addEventListener('abort', () =>
            reject(new DeliveryFailure({ transient: true, reply: '451 4.3.0 relay stopping' })),
          );
        }),
    );
    const id = await queue.enqueue({ ...envelopeFor(9), raw: messageFor(9) });
    await eventually(() => signal !== undefined, 'the delivery to start');
    await queue.close({ timeoutMs: 50 });
    expect(signal?.aborted).toBe(true);

    const records = join(root, `rec-late-${counter}`);
    const next = await openAt(where);
    next.start(recordingDeliver(records));
    await eventually(
      () => readRecorded(records).length === 1,
      'the message to be delivered by the next queue',
    );
    await eventually(idle(next), 'the queue to drain');
    await next.close();
    expect(readRecorded(records).map((r) => r.id)).toEqual([id]);
  });

  it('refuses a malformed request naming the field, and a second start', async () => {
    const queue = await openAt(location(backend));
    await expect(
      queue.enqueue({ ...envelopeFor(10), envelope: { from: 'a@b', to: [] }, raw: messageFor(10) }),
    ).rejects.toThrow(/envelope\.to/);
    await expect(queue.enqueue({ ...envelopeFor(10), raw: 'text' as unknown as Buffer })).rejects.toThrow(
      /raw/,
    );
    queue.start(recordingDeliver(join(root, `rec-x-${counter}`)));
    expect(() => queue.start(recordingDeliver(root))).toThrow(
      expect.objectContaining({ code: 'QUEUE_STARTED' }),
    );
    await queue.close();
  });
});

describe('redis queue only', () => {
  it('never shows the Redis password: not in errors, their causes, or the log', async () => {
    const secret = 'Queue-Redis-Pass-7f3a';
    const guarded = await startRedisServer(['--requirepass', secret]);
    const lines: string[] = [];
    const log = (level: string) => (obj: object, msg?: string) => {
      lines.push(
        JSON.stringify({ level, msg, ...obj }, (_k, v) =>
          v instanceof Error ? { ...v, message: v.message, stack: v.stack } : v,
        ),
      );
    };
    const logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
    const texts: string[] = [];
    const collect = (error: unknown) => {
      for (let e = error; e; e = (e as { cause?: unknown }).cause) {
        texts.push(String((e as Error).message), String((e as Error).stack), JSON.stringify(e));
      }
    };
    try {
      const right = await openDeliveryQueue({
        kind: 'redis',
        url: `redis://:${secret}@127.0.0.1:${guarded.port}`,
        prefix: 'pw',
        logger,
      });
      await right.enqueue({ ...envelopeFor(13), raw: messageFor(13) });
      expect((await right.stats()).pending).toBe(1);
      await right.close();
      await openDeliveryQueue({
        kind: 'redis',
        url: `redis://:wrong-${secret}@127.0.0.1:${guarded.port}`,
        logger,
      }).then(
        () => expect.unreachable('a wrong password must not open the queue'),
        (error: unknown) => {
          expect(error).toMatchObject({ code: 'QUEUE_UNAVAILABLE' });
          collect(error);
        },
      );
      await guarded.kill();
      await openDeliveryQueue({
        kind: 'redis',
        url: `redis://:${secret}@127.0.0.1:${guarded.port}`,
        logger,
      }).then(
        () => expect.unreachable('a stopped Redis must not open the queue'),
        (error: unknown) => {
          expect(error).toMatchObject({
            code: 'QUEUE_UNAVAILABLE',
            message: expect.stringContaining(`127.0.0.1:${guarded.port}`),
          });
          collect(error);
        },
      );
    } finally {
      await guarded.stop();
    }
    expect(texts.length).toBeGreaterThan(0);
    for (const text of [...texts, ...lines]) expect(text).not.toContain(secret);
  });

  it('dead-letters a message whose body vanished from Redis (eviction) instead of counting it delivered', async () => {
    const queue = await openDeliveryQueue({ kind: 'redis', url: redis.url, prefix: 'evict', ...FAST });
    const id = await queue.enqueue({ ...envelopeFor(14), raw: messageFor(14) });
    const raw = new Redis(redis.url);
    expect(await raw.del(`evict:relay-body:${id}`)).toBe(1);
    raw.disconnect();
    const delivered: string[] = [];
    queue.start(async (item) => {
      delivered.push(item.id);
      return { response: '250 OK' };
    });
    await eventually(async () => (await queue.stats()).dead === 1, 'the message to be dead');
    expect((await queue.list({ state: 'dead' }))[0]).toMatchObject({
      id,
      lastFailure: { deadReason: 'unreadable', reply: expect.stringContaining('noeviction') },
    });
    expect(delivered).toEqual([]);
    await queue.close();
  });

  it('completes without sending again a job re-run after its worker recorded the delivery but died before BullMQ did', async () => {
    const queue = await openDeliveryQueue({ kind: 'redis', url: redis.url, prefix: 'rerun', ...FAST });
    const id = await queue.enqueue({ ...envelopeFor(15), raw: messageFor(15) });
    // What the worker's last step leaves when it is killed right after it: no body, the marker.
    const raw = new Redis(redis.url);
    await raw.multi().del(`rerun:relay-body:${id}`).set(`rerun:relay-done:${id}`, '1', 'EX', 60).exec();
    raw.disconnect();
    const delivered: string[] = [];
    queue.start(async (item) => {
      delivered.push(item.id);
      return { response: '250 OK' };
    });
    await eventually(idle(queue), 'the job to complete');
    expect(await queue.stats()).toEqual({ pending: 0, dead: 0, inFlight: 0 });
    expect(delivered).toEqual([]);
    await queue.close();
  });

  it('refuses a body above maxMessageBytes', async () => {
    const queue = await openDeliveryQueue({
      kind: 'redis',
      url: redis.url,
      prefix: 'big',
      maxMessageBytes: 1_000,
    });
    await expect(queue.enqueue({ ...envelopeFor(11), raw: Buffer.alloc(1_001) })).rejects.toMatchObject({
      code: 'QUEUE_MESSAGE_TOO_LARGE',
    });
    expect(await queue.stats()).toEqual({ pending: 0, dead: 0, inFlight: 0 });
    await queue.close();
  });

  it('fails enqueue fast with QUEUE_UNAVAILABLE when Redis is down (the client gets a 4xx)', async () => {
    const own = await startRedisServer();
    const queue = await openDeliveryQueue({ kind: 'redis', url: own.url, prefix: 'down' });
    await own.kill();
    await expect(queue.enqueue({ ...envelopeFor(12), raw: messageFor(12) })).rejects.toMatchObject({
      code: 'QUEUE_UNAVAILABLE',
    });
    await queue.close({ timeoutMs: 100 });
  });
});
