/**
 * The `redis` backend: BullMQ on a Redis that several relay instances share. A job holds the
 * envelope and bookkeeping; the message bytes sit beside it in one binary key
 * (`<prefix>:relay-body:<id>`, at most `maxMessageBytes`), written before the job and replaced,
 * right after upstream accepted the message, by a day-long marker `<prefix>:relay-done:<id>` (one
 * MULTI) — so a job re-run after its worker died completes without sending again once delivered,
 * while a worker killed between upstream's 250 and that step makes the one duplicate the interface
 * allows. A body missing without the marker (evicted) is a dead letter, never a silent success.
 *
 * Retries use BullMQ's attempts with our backoff (the same policy as the spool); permanent failures
 * throw `UnrecoverableError`; the failed set is the dead letters (kept: `removeOnFail: false`).
 * A killed instance's jobs come back through BullMQ's stalled-job check once their lock
 * (`leaseMs`) lapses.
 */
import type { Logger } from '@kalisto/core';
import { ConfigError } from '@kalisto/core';
import { scrubbedError, silentLogger } from '@kalisto/core/plugin';
import type { Job, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { checkRequest, closedError, notify, settledWithin, startedError } from './common.js';
import { checkId, QueueError } from './errors.js';
import { QUEUE_DEFAULTS, type RedisQueueOptions, type ResolvedTuning, resolveTuning } from './options.js';
import { newQueueId, settle } from './schedule.js';
import type {
  Deliver,
  DeliveryQueue,
  EnqueueRequest,
  FailureRecord,
  QueuedItem,
  QueuedMessage,
  QueueMessageInfo,
  QueueStats,
} from './types.js';

const B = 'redis';
const QUEUE_NAME = 'relay';
const PENDING = ['waiting', 'prioritized', 'delayed', 'active'] as const;
/** How long a delivered message's marker outlives it: far beyond any lease and stalled check. */
const DONE_TTL_S = 86_400;

/** What a job carries (never the body). */
interface JobData extends QueueMessageInfo {
  readonly enqueuedAt: number;
  readonly size: number;
  readonly nextAttemptAt?: number;
  readonly lastFailure?: FailureRecord;
}

/** An error BullMQ retries, carrying our computed delay to the backoff strategy. */
class RetryLater extends Error {
  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
    this.name = 'RetryLater';
  }
}

/** Reconnect forever, at most a second apart (as cache-redis does). */
const reconnectDelay = (attempt: number): number => Math.min(100 * 2 ** Math.min(attempt - 1, 4), 1_000);

function describe(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '6379'}`;
  } catch {
    return 'the configured URL';
  }
}

/** Connects (or adopts the given client) and opens the queue; workers start with `start()`. */
export async function openRedisQueue(options: RedisQueueOptions): Promise<DeliveryQueue> {
  const given = [options.url, options.client].filter((v) => v !== undefined).length;
  if (given !== 1) {
    throw new ConfigError([
      { property: 'redisQueue', expected: 'exactly one of url or client: where Redis is' },
    ]);
  }
  const tuning = resolveTuning(options, 'redisQueue');
  const maxMessageBytes = options.maxMessageBytes ?? QUEUE_DEFAULTS.maxMessageBytes;
  const prefix = options.prefix ?? QUEUE_DEFAULTS.prefix;
  const logger = options.logger ?? silentLogger;
  const where = options.url !== undefined ? describe(options.url) : 'the given client';
  // Loaded here, not at the top: a relay without a Redis queue never needs them (nor ioredis installed).
  const bull = await import('bullmq');
  const { Redis } = await import('ioredis');
  // Commands on the SMTP path fail fast (the client is answered 4xx) rather than wait out an outage.
  const client =
    options.client ??
    new Redis(options.url as string, {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      commandTimeout: 5_000,
      connectTimeout: 5_000,
      retryStrategy: reconnectDelay,
    });
  const owned = options.client === undefined;
  client.on('error', (error: Error) =>
    logger.warn({ err: scrubbedError(error), where }, 'Queue Redis connection error'),
  );
  if (owned) {
    try {
      await client.connect();
    } catch (error) {
      client.disconnect();
      throw new QueueError(`[queue:redis] cannot connect to Redis at ${where}`, {
        code: 'QUEUE_UNAVAILABLE',
        hint: 'Check kalisto.relay.queue.redis.url and that Redis runs.',
        cause: scrubbedError(error),
      });
    }
  }
  const queue = new bull.Queue(QUEUE_NAME, { connection: client, prefix });
  queue.on('error', (error: Error) => logger.warn({ err: scrubbedError(error) }, 'Queue error'));
  return new RedisQueue({ bull, client, owned, queue, prefix, tuning, maxMessageBytes, logger, where });
}

interface Parts {
  bull: typeof import('bullmq');
  client: Redis;
  owned: boolean;
  queue: Queue;
  prefix: string;
  tuning: ResolvedTuning;
  maxMessageBytes: number;
  logger: Logger;
  where: string;
}

class RedisQueue implements DeliveryQueue {
  readonly kind = 'redis' as const;
  private worker: Worker | undefined;
  private workerConnection: Redis | undefined;
  private readonly abort = new AbortController();
  private closed = false;

  constructor(private readonly p: Parts) {}

  private bodyKey(id: string): string {
    return `${this.p.prefix}:relay-body:${id}`;
  }

  private doneKey(id: string): string {
    return `${this.p.prefix}:relay-done:${id}`;
  }

  async enqueue(request: EnqueueRequest): Promise<string> {
    if (this.closed) throw closedError(B);
    checkRequest(request, B);
    if (request.raw.length > this.p.maxMessageBytes) {
      throw new QueueError(
        `[queue:redis] the message has ${request.raw.length} bytes, more than the ${this.p.maxMessageBytes} kept in Redis`,
        {
          code: 'QUEUE_MESSAGE_TOO_LARGE',
          hint: 'Raise kalisto.relay.queue.redis.maxMessageBytes, or lower the listener SIZE.',
        },
      );
    }
    const id = newQueueId();
    const data: JobData = {
      mailbox: request.mailbox,
      ...(request.upstream === undefined ? {} : { upstream: request.upstream }),
      ...(request.listener === undefined ? {} : { listener: request.listener }),
      envelope: { from: request.envelope.from, to: [...request.envelope.to] },
      enqueuedAt: Date.now(),
      size: request.raw.length,
    };
    try {
      await this.p.client.set(this.bodyKey(id), request.raw);
      await this.p.queue.add('message', data, {
        jobId: id,
        attempts: this.p.tuning.maxAttempts,
        backoff: { type: 'kalisto' },
        removeOnComplete: true,
        removeOnFail: false,
      });
    } catch (error) {
      await this.p.client.del(this.bodyKey(id)).catch(() => {});
      throw new QueueError(`[queue:redis] could not store the message in Redis at ${this.p.where}`, {
        code: 'QUEUE_UNAVAILABLE',
        hint: 'Check that Redis runs and has memory (maxmemory-policy noeviction); the client was answered 4xx and retries.',
        cause: scrubbedError(error),
      });
    }
    return id;
  }

  start(deliver: Deliver): void {
    if (this.closed) throw closedError(B);
    if (this.worker) throw startedError(B);
    const { tuning, logger } = this.p;
    // Blocking commands must wait as long as they need: no command timeout, retry forever.
    this.workerConnection = this.p.client.duplicate({
      maxRetriesPerRequest: null,
      commandTimeout: undefined,
      enableOfflineQueue: true,
      lazyConnect: false,
    });
    this.workerConnection.on('error', (error: Error) =>
      logger.warn({ err: scrubbedError(error) }, 'Queue worker Redis error'),
    );
    this.worker = new this.p.bull.Worker(QUEUE_NAME, (job: Job<JobData>) => this.process(job, deliver), {
      connection: this.workerConnection,
      prefix: this.p.prefix,
      concurrency: tuning.concurrency,
      lockDuration: tuning.leaseMs,
      stalledInterval: Math.max(Math.floor(tuning.leaseMs / 2), 50),
      maxStalledCount: tuning.maxAttempts,
      maxStartedAttempts: tuning.maxAttempts,
      removeOnComplete: { count: 0 },
      removeOnFail: { count: Number.MAX_SAFE_INTEGER },
      settings: {
        backoffStrategy: (_attempts, _type, error) => (error instanceof RetryLater ? error.delayMs : 0),
      },
    });
    this.worker.on('error', (error: Error) =>
      logger.warn({ err: scrubbedError(error) }, 'Queue worker error'),
    );
  }

  private async process(job: Job<JobData>, deliver: Deliver): Promise<void> {
    const id = job.id as string;
    const data = job.data;
    const item: QueuedItem = {
      id,
      mailbox: data.mailbox,
      ...(data.upstream === undefined ? {} : { upstream: data.upstream }),
      ...(data.listener === undefined ? {} : { listener: data.listener }),
      envelope: data.envelope,
      enqueuedAt: data.enqueuedAt,
      size: data.size,
      attempts: Math.max((job.attemptsStarted ?? 1) - 1, 0),
    };
    const raw = await this.p.client.getBuffer(this.bodyKey(id));
    if (raw === null) {
      if ((await this.p.client.exists(this.doneKey(id))) === 1) {
        // A re-run of a message delivered just before its worker stopped: not sent again.
        this.p.logger.warn({ id }, 'Queued message was delivered before its worker stopped; not sent again');
        return;
      }
      const failure: FailureRecord = {
        reply:
          'relay: the message body is missing from Redis (evicted? Redis needs maxmemory-policy noeviction)',
        transient: false,
        at: Date.now(),
        deadReason: 'unreadable',
      };
      await job.updateData({ ...data, lastFailure: failure });
      this.p.logger.error(
        { id, mailbox: item.mailbox },
        'Queued message has no body in Redis; kept in the dead letters',
      );
      notify(this.p.tuning.observer, this.p.logger, 'dead', item, failure);
      throw new this.p.bull.UnrecoverableError(failure.reply);
    }
    let receipt: Awaited<ReturnType<Deliver>>;
    try {
      receipt = await deliver(item, raw, { signal: this.abort.signal });
    } catch (error) {
      const outcome = settle(item, error, this.p.tuning, Date.now());
      const { nextAttemptAt: _previous, ...rest } = data;
      if (outcome.action === 'retry') {
        await job.updateData({ ...rest, lastFailure: outcome.failure, nextAttemptAt: outcome.nextAttemptAt });
        notify(
          this.p.tuning.observer,
          this.p.logger,
          'retrying',
          item,
          outcome.failure,
          outcome.nextAttemptAt,
        );
        throw new RetryLater(outcome.failure.reply, Math.max(outcome.nextAttemptAt - Date.now(), 1));
      }
      await job.updateData({ ...rest, lastFailure: outcome.failure });
      this.p.logger.error(
        { id, mailbox: item.mailbox, reply: outcome.failure.reply, reason: outcome.failure.deadReason },
        'Delivery failed for good; message kept in the dead letters',
      );
      notify(this.p.tuning.observer, this.p.logger, 'dead', item, outcome.failure);
      throw new this.p.bull.UnrecoverableError(outcome.failure.reply);
    }
    // One step: the body goes and a day-long marker says "delivered" to a re-run after a crash.
    await this.p.client.multi().del(this.bodyKey(id)).set(this.doneKey(id), '1', 'EX', DONE_TTL_S).exec();
    notify(this.p.tuning.observer, this.p.logger, 'delivered', item, receipt);
  }

  async list(filter: { state?: 'pending' | 'dead' } = {}): Promise<QueuedMessage[]> {
    const rows: QueuedMessage[] = [];
    if (filter.state !== 'dead') {
      for (const type of PENDING) {
        for (const job of await this.p.queue.getJobs([type], 0, -1, true)) {
          if (job?.id) rows.push(toMessage(job as Job<JobData>, 'pending', type === 'active'));
        }
      }
    }
    if (filter.state !== 'pending') {
      for (const job of await this.p.queue.getJobs(['failed'], 0, -1, true)) {
        if (job?.id) rows.push(toMessage(job as Job<JobData>, 'dead', false));
      }
    }
    return rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async retry(id: string): Promise<void> {
    checkId(id, B);
    const job = (await this.p.queue.getJob(id)) as Job<JobData> | undefined;
    if (!job) throw notFound(id);
    const state = await job.getState();
    if (state === 'failed') {
      const { nextAttemptAt: _n, lastFailure, ...rest } = job.data;
      const kept = lastFailure ? { lastFailure: withoutReason(lastFailure) } : {};
      await job.updateData({ ...rest, ...kept });
      await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    } else if (state === 'delayed') {
      await job.promote();
    } else if (state === 'unknown') {
      throw notFound(id);
    }
  }

  async drop(id: string): Promise<void> {
    checkId(id, B);
    const job = await this.p.queue.getJob(id);
    if (!job) throw notFound(id);
    try {
      await job.remove();
    } catch (error) {
      throw new QueueError(`[queue:redis] message ${id} is being delivered right now`, {
        code: 'QUEUE_MESSAGE_BUSY',
        hint: 'Try again when the attempt has ended (kalisto relay queue list shows it).',
        cause: scrubbedError(error),
      });
    }
    await this.p.client.del(this.bodyKey(id));
  }

  async stats(): Promise<QueueStats> {
    const counts = await this.p.queue.getJobCounts(...PENDING, 'failed');
    const pending = PENDING.reduce((sum, type) => sum + (counts[type] ?? 0), 0);
    return { pending, dead: counts.failed ?? 0, inFlight: counts.active ?? 0 };
  }

  async close(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const worker = this.worker;
    if (worker) {
      const closing = worker.close();
      const finished = await settledWithin(closing, options.timeoutMs ?? QUEUE_DEFAULTS.closeTimeoutMs);
      if (!finished) {
        this.p.logger.warn({}, 'Queue closed with deliveries still running; aborted (their locks lapse)');
        this.abort.abort();
        await settledWithin(worker.close(true), 2_000);
      }
      await this.workerConnection?.quit().catch(() => this.workerConnection?.disconnect());
    }
    await settledWithin(this.p.queue.close(), 2_000);
    if (this.p.owned) {
      await this.p.client.quit().catch(() => this.p.client.disconnect());
    }
  }
}

function withoutReason(failure: FailureRecord): FailureRecord {
  const { deadReason: _reason, ...rest } = failure;
  return rest;
}

function notFound(id: string): QueueError {
  return new QueueError(`[queue:redis] no message ${id} in the queue`, {
    code: 'QUEUE_MESSAGE_NOT_FOUND',
    hint: 'It may have been delivered or dropped meanwhile; kalisto relay queue list shows what is there.',
  });
}

function toMessage(job: Job<JobData>, state: 'pending' | 'dead', inFlight: boolean): QueuedMessage {
  const data = job.data;
  const started = job.attemptsStarted ?? 0;
  const lastFailure: FailureRecord | undefined =
    data.lastFailure ??
    (state === 'dead'
      ? {
          reply: job.failedReason ?? 'failed',
          transient: true,
          at: job.finishedOn ?? Date.now(),
          deadReason: 'interrupted',
        }
      : undefined);
  return {
    id: job.id as string,
    mailbox: data.mailbox,
    ...(data.upstream === undefined ? {} : { upstream: data.upstream }),
    ...(data.listener === undefined ? {} : { listener: data.listener }),
    envelope: data.envelope,
    enqueuedAt: data.enqueuedAt,
    size: data.size,
    attempts: inFlight ? Math.max(started - 1, 0) : started,
    state,
    inFlight,
    ...(state === 'pending' && !inFlight && data.nextAttemptAt !== undefined
      ? { nextAttemptAt: data.nextAttemptAt }
      : {}),
    ...(lastFailure ? { lastFailure } : {}),
  };
}
