/**
 * The `spool` backend: a directory (see spool-files.ts for the layout). Enqueue writes one file
 * (temp, fsync, rename, fsync of the directory) and resolves after that. A worker claims a message
 * by renaming it from `queue/` into `active/` under a name carrying its host, pid and a random
 * token: rename is atomic, so of several workers — in this process or others on the same
 * directory — exactly one wins. A claim whose process is gone (same host), whose token this
 * process does not know (its own pid, an earlier life) or whose lease ran out (not renewed for
 * `leaseMs`) is put back by whoever sees it first, again by one atomic rename.
 *
 * The files are the truth; what this process learnt stays in memory — the schedule, which
 * messages have a state file (one listing of `state/` per scan, not a stat per message), the
 * bodies it queued itself — so that delivering a message it queued costs a rename, a stat and an
 * unlink, not a re-read. A restart rebuilds all of it from the files.
 */
import { statSync } from 'node:fs';
import { readdir, readFile, rename, stat, unlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, type Logger } from '@kalisto/core';
import { silentLogger } from '@kalisto/core/plugin';
import { checkRequest, closedError, notify, settledWithin, startedError } from './common.js';
import { DueSchedule } from './due-heap.js';
import { checkId, QueueError } from './errors.js';
import { QUEUE_DEFAULTS, type ResolvedTuning, resolveTuning, type SpoolQueueOptions } from './options.js';
import { newQueueId, settle } from './schedule.js';
import {
  claimName,
  coalescedFsync,
  decodeMessage,
  encodeHeader,
  fsyncDir,
  isMissing,
  newToken,
  type Owner,
  parseClaimName,
  processAlive,
  readHeader,
  readState,
  type SpoolHeader,
  SpoolPaths,
  type SpoolState,
  thisOwner,
  writeAtomically,
  writeState,
} from './spool-files.js';
import type {
  Deliver,
  DeliveryQueue,
  EnqueueRequest,
  FailureRecord,
  QueuedItem,
  QueuedMessage,
  QueueStats,
} from './types.js';

const B = 'spool';
const MSG = /^([0-9a-z]{9}-[0-9a-f]{12})\.msg$/;
/** Temp files of another host are removed only when this old (we cannot ask whether it runs). */
const FOREIGN_TMP_AGE_MS = 3_600_000;
/**
 * Bodies of messages this process queued are kept in memory until delivered, up to this many bytes
 * in all, so that an attempt does not read back what was just written (the file stays the truth:
 * past the budget, after a restart, or for messages other processes queued, the file is read).
 */
const BODIES_IN_MEMORY_MAX_BYTES = 32 * 1024 * 1024;

/**
 * Tokens of the claims this process holds, across every queue instance in it: a claim with our pid
 * and a token not in here is from an earlier process that had our pid.
 */
const liveTokens = new Set<string>();

interface Flight {
  readonly token: string;
  readonly done: Promise<void>;
}

/** Opens (creating if needed) the spool directory; workers start with `start()`. */
export async function openSpoolQueue(options: SpoolQueueOptions): Promise<DeliveryQueue> {
  if (typeof options?.path !== 'string' || options.path.trim() === '') {
    throw new ConfigError([{ property: 'spoolQueue.path', expected: 'the spool directory' }]);
  }
  const tuning = resolveTuning(options, 'spoolQueue');
  const pollIntervalMs = options.pollIntervalMs ?? QUEUE_DEFAULTS.pollIntervalMs;
  const paths = new SpoolPaths(options.path);
  try {
    await paths.create();
  } catch (error) {
    throw new QueueError(`[queue:spool] cannot create the spool directory ${options.path}`, {
      code: 'QUEUE_UNAVAILABLE',
      hint: 'Check kalisto.relay.queue.path: it must be a writable directory on a local disk.',
      cause: error,
    });
  }
  const queue = new SpoolQueue(paths, tuning, pollIntervalMs, options.logger ?? silentLogger);
  await queue.sweepTmp();
  return queue;
}

class SpoolQueue implements DeliveryQueue {
  readonly kind = 'spool' as const;
  private readonly owner: Owner = thisOwner();
  /**
   * Pending messages this process knows of: id → when due (epoch ms), and the state file it read
   * (its mtime; 0: none; -1: set here, the file is not yet read back).
   */
  private readonly due = new DueSchedule<{ stateMtime: number }>();
  /** Messages this process queued and has not delivered yet, as written (see BODIES_IN_MEMORY_MAX_BYTES). */
  private readonly bodies = new Map<string, { header: SpoolHeader; raw: Buffer }>();
  private bodyBytes = 0;
  private readonly flights = new Map<string, Flight>();
  private readonly abort = new AbortController();
  private readonly syncQueueDir: () => Promise<void>;
  private deliver: Deliver | undefined;
  private closed = false;
  private scanning: Promise<void> | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private wakeTimer: NodeJS.Timeout | undefined;
  private wakeAt = Number.POSITIVE_INFINITY;

  constructor(
    private readonly paths: SpoolPaths,
    private readonly tuning: ResolvedTuning,
    private readonly pollIntervalMs: number,
    private readonly logger: Logger,
  ) {
    this.syncQueueDir = coalescedFsync(paths.dir('queue'));
  }

  async enqueue(request: EnqueueRequest): Promise<string> {
    if (this.closed) throw closedError(B);
    checkRequest(request, B);
    const id = newQueueId();
    const header: SpoolHeader = {
      id,
      mailbox: request.mailbox,
      ...(request.upstream === undefined ? {} : { upstream: request.upstream }),
      ...(request.listener === undefined ? {} : { listener: request.listener }),
      envelope: { from: request.envelope.from, to: [...request.envelope.to] },
      enqueuedAt: Date.now(),
      size: request.raw.length,
    };
    const tmp = join(this.paths.dir('tmp'), `${id}~${this.owner.host}~${this.owner.pid}.tmp`);
    try {
      await writeAtomically(tmp, this.paths.message('queue', id), [encodeHeader(header), request.raw]);
      await this.syncQueueDir();
    } catch (error) {
      throw new QueueError(
        `[queue:spool] could not store the message durably in ${this.paths.root} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
        {
          code: 'QUEUE_UNAVAILABLE',
          hint: 'Check free space and permissions of the spool directory; the client was answered 4xx and retries.',
          cause: error,
        },
      );
    }
    if (this.bodyBytes + request.raw.length <= BODIES_IN_MEMORY_MAX_BYTES) {
      this.bodies.set(id, { header, raw: request.raw });
      this.bodyBytes += request.raw.length;
    }
    this.due.set(id, { at: 0, stateMtime: -1 });
    if (this.deliver) setImmediate(() => this.pump());
    return id;
  }

  private forgetBody(id: string): void {
    const body = this.bodies.get(id);
    if (!body) return;
    this.bodies.delete(id);
    this.bodyBytes -= body.raw.length;
  }

  start(deliver: Deliver): void {
    if (this.closed) throw closedError(B);
    if (this.deliver) throw startedError(B);
    this.deliver = deliver;
    this.pollTimer = setInterval(() => void this.tick(), this.pollIntervalMs);
    void this.tick();
  }

  async list(filter: { state?: 'pending' | 'dead' } = {}): Promise<QueuedMessage[]> {
    const rows: QueuedMessage[] = [];
    const add = async (path: string, id: string, state: 'pending' | 'dead', inFlight: boolean) => {
      const header = await readHeader(path);
      if (!header || header.id !== id) return;
      const saved = await readState(this.paths.state(id));
      rows.push(toMessage(header, saved, state, inFlight));
    };
    if (filter.state !== 'dead') {
      for (const name of await this.names('queue')) {
        const id = MSG.exec(name)?.[1];
        if (id) await add(join(this.paths.dir('queue'), name), id, 'pending', false);
      }
      for (const name of await this.names('active')) {
        const claim = parseClaimName(name);
        if (claim) await add(join(this.paths.dir('active'), name), claim.id, 'pending', true);
      }
    }
    if (filter.state !== 'pending') {
      for (const name of await this.names('dead')) {
        const id = MSG.exec(name)?.[1];
        if (id) await add(join(this.paths.dir('dead'), name), id, 'dead', false);
      }
    }
    return rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async retry(id: string): Promise<void> {
    checkId(id, B);
    const saved = await readState(this.paths.state(id));
    try {
      // Fresh attempts; the last failure stays visible until the next attempt replaces it.
      await writeState(this.paths, id, { attempts: 0, ...lastOf(saved) }, this.owner, true);
      await rename(this.paths.message('dead', id), this.paths.message('queue', id));
      await fsyncDir(this.paths.dir('queue'));
    } catch (error) {
      if (!isMissing(error)) throw error;
      if (!(await this.exists('queue', id))) {
        if (await this.inFlight(id)) return; // being attempted right now: nothing to hurry
        await unlink(this.paths.state(id)).catch(() => {});
        throw notFound(id);
      }
      // Pending: due now, attempts kept.
      await writeState(this.paths, id, { attempts: saved.attempts, ...lastOf(saved) }, this.owner, false);
    }
    this.due.set(id, { at: 0, stateMtime: -1 });
    if (this.deliver) setImmediate(() => this.pump());
  }

  async drop(id: string): Promise<void> {
    checkId(id, B);
    for (const dir of ['dead', 'queue'] as const) {
      try {
        await unlink(this.paths.message(dir, id));
        this.due.delete(id);
        this.forgetBody(id);
        await unlink(this.paths.state(id)).catch(() => {});
        return;
      } catch (error) {
        if (!isMissing(error)) throw error;
      }
    }
    if (await this.inFlight(id)) {
      throw new QueueError(`[queue:spool] message ${id} is being delivered right now`, {
        code: 'QUEUE_MESSAGE_BUSY',
        hint: 'Try again when the attempt has ended (kalisto relay queue list shows it).',
      });
    }
    throw notFound(id);
  }

  async stats(): Promise<QueueStats> {
    const count = async (dir: 'queue' | 'active' | 'dead') =>
      (await this.names(dir)).filter((name) => name.endsWith('.msg')).length;
    const [queued, active, dead] = await Promise.all([count('queue'), count('active'), count('dead')]);
    return { pending: queued + active, dead, inFlight: active };
  }

  async close(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.pollTimer);
    clearTimeout(this.wakeTimer);
    const flights = [...this.flights.values()].map((flight) => flight.done);
    const finished = await settledWithin(
      Promise.allSettled(flights),
      options.timeoutMs ?? QUEUE_DEFAULTS.closeTimeoutMs,
    );
    if (!finished) {
      this.logger.warn(
        { inFlight: this.flights.size },
        'Queue closed with deliveries still running; aborted',
      );
      this.abort.abort();
    }
    this.bodies.clear();
    this.bodyBytes = 0;
  }

  /** Removes temp files that a dead process left (a crash before rename): never read as messages. */
  async sweepTmp(): Promise<void> {
    for (const name of await this.names('tmp')) {
      const [, host, pidText] = name.split('~');
      const pid = Number(pidText?.split('.')[0]);
      const path = join(this.paths.dir('tmp'), name);
      let stale: boolean;
      if (host === this.owner.host) stale = pid !== this.owner.pid && !processAlive(pid);
      else stale = await olderThan(path, FOREIGN_TMP_AGE_MS);
      if (stale) await unlink(path).catch(() => {});
    }
  }

  private async tick(): Promise<void> {
    if (this.closed) return;
    if (!this.scanning) {
      this.scanning = this.scan()
        .catch((error: unknown) => this.logger.error({ err: error }, 'Scanning the spool failed'))
        .finally(() => {
          this.scanning = undefined;
        });
    }
    await this.scanning;
    this.pump();
  }

  /**
   * Learns of messages others queued or put back (and of schedules changed by `retry` elsewhere:
   * a state file newer than the one we read), and recovers stale claims.
   */
  private async scan(): Promise<void> {
    const present = new Set<string>();
    const queued = await this.names('queue');
    // Listed after queue/: a message put back there had its state written before, so it shows here.
    const withState = new Set(
      (await this.names('state')).filter((name) => name.endsWith('.json')).map((name) => name.slice(0, -5)),
    );
    for (const name of queued) {
      const id = MSG.exec(name)?.[1];
      if (!id || this.flights.has(id)) continue;
      present.add(id);
      const known = this.due.get(id);
      if (!withState.has(id)) {
        // Never failed (or its state is gone): due now, nothing to read.
        if (known === undefined || known.stateMtime !== 0) this.due.set(id, { at: 0, stateMtime: 0 });
        continue;
      }
      const mtime = await mtimeOf(this.paths.state(id));
      if (known === undefined || known.stateMtime !== mtime) {
        const saved = await readState(this.paths.state(id));
        this.due.set(id, { at: saved.nextAttemptAt ?? 0, stateMtime: mtime });
      }
    }
    // Gone from queue/ (claimed elsewhere, dropped); entries set here since the listing (-1) stay.
    for (const id of [...this.due.ids()]) {
      if (!present.has(id) && this.due.get(id)?.stateMtime !== -1) {
        this.due.delete(id);
        this.forgetBody(id);
      }
    }
    for (const name of await this.names('active')) await this.recoverIfStale(name);
    await this.sweepTmp();
  }

  private async recoverIfStale(name: string): Promise<void> {
    const claim = parseClaimName(name);
    if (!claim) return;
    const path = join(this.paths.dir('active'), name);
    let stale: boolean;
    if (claim.host === this.owner.host && claim.pid === this.owner.pid) stale = !liveTokens.has(claim.token);
    else if (claim.host === this.owner.host && !processAlive(claim.pid)) stale = true;
    // A live pid may be a stranger that reused it, and another host cannot be asked: the lease decides.
    else stale = await olderThan(path, this.tuning.leaseMs);
    if (!stale) return;
    // Take it over first (one atomic rename: of several recoverers one wins), then account for it.
    const token = newToken();
    liveTokens.add(token);
    const ours = join(this.paths.dir('active'), claimName(claim.id, this.owner, token));
    try {
      await touch(path);
      await rename(path, ours);
    } catch (error) {
      liveTokens.delete(token);
      if (isMissing(error)) return; // someone else recovered it, or its owner finished after all
      throw error;
    }
    try {
      const saved = await readState(this.paths.state(claim.id));
      const now = Date.now();
      const attempts = saved.attempts + 1;
      const failure: FailureRecord = {
        reply:
          'relay: the attempt was interrupted (its relay process stopped); upstream may have accepted it',
        transient: true,
        at: now,
      };
      const dead = attempts >= this.tuning.maxAttempts;
      const next: SpoolState = dead
        ? { attempts, lastFailure: { ...failure, deadReason: 'interrupted' } }
        : { attempts, nextAttemptAt: now, lastFailure: failure };
      await writeState(this.paths, claim.id, next, this.owner, dead);
      await rename(ours, dead ? this.paths.message('dead', claim.id) : this.paths.message('queue', claim.id));
      this.logger.warn(
        { id: claim.id, owner: `${claim.host}:${claim.pid}`, attempts, dead },
        'Recovered a message whose delivery was interrupted',
      );
      if (!dead) this.due.set(claim.id, { at: now, stateMtime: -1 });
    } finally {
      liveTokens.delete(token);
    }
  }

  /** Starts attempts while there is room and something due; arms a timer for the next due one. */
  private pump(): void {
    if (this.closed || !this.deliver) return;
    const now = Date.now();
    while (this.flights.size < this.tuning.concurrency) {
      const pick = this.due.takeDue(now);
      if (pick === undefined) break;
      const token = newToken();
      liveTokens.add(token);
      const done = this.attempt(pick, token, this.deliver).finally(() => {
        liveTokens.delete(token);
        this.flights.delete(pick);
        this.pump();
      });
      this.flights.set(pick, { token, done });
    }
    const next = this.due.nextAt();
    if (next < this.wakeAt || this.wakeAt <= now) {
      clearTimeout(this.wakeTimer);
      this.wakeAt = next;
      if (Number.isFinite(next)) {
        this.wakeTimer = setTimeout(() => this.pump(), Math.min(Math.max(next - now, 0), 2_147_483_647));
      }
    }
  }

  private async attempt(id: string, token: string, deliver: Deliver): Promise<void> {
    const claimPath = join(this.paths.dir('active'), claimName(id, this.owner, token));
    const kept = this.bodies.get(id);
    try {
      // The claim keeps the file's mtime (rename), and others judge a claim's lease by it: a file
      // older than half a lease is touched first. One this process wrote that recently needs no touch.
      if (!kept || Date.now() - kept.header.enqueuedAt >= this.tuning.leaseMs / 2) {
        await touch(this.paths.message('queue', id));
      }
      await rename(this.paths.message('queue', id), claimPath);
    } catch (error) {
      if (!isMissing(error)) this.logger.error({ err: error, id }, 'Claiming a spooled message failed');
      this.forgetBody(id);
      return; // another worker has it, or it was dropped
    }
    const heartbeat = setInterval(
      () => {
        touch(claimPath).catch(() => {});
      },
      Math.max(Math.floor(this.tuning.leaseMs / 4), 25),
    );
    try {
      // No state file (the usual case) is a message that never failed: one stat, no read.
      const saved = statSync(this.paths.state(id), { throwIfNoEntry: false })
        ? await readState(this.paths.state(id))
        : { attempts: 0 };
      if ((saved.nextAttemptAt ?? 0) > Date.now()) {
        // Another process rescheduled it after we learnt of it: not due yet.
        await rename(claimPath, this.paths.message('queue', id));
        this.due.set(id, { at: saved.nextAttemptAt as number, stateMtime: -1 });
        return;
      }
      const decoded = kept ?? decodeMessage(await readFile(claimPath));
      if (!decoded || decoded.header.id !== id) {
        await rename(claimPath, join(this.paths.dir('corrupt'), `${id}.msg`));
        this.logger.error(
          { id },
          'A spooled message file is incomplete or damaged; moved to corrupt/, not delivered',
        );
        return;
      }
      const { size: _size, ...info } = decoded.header;
      const item: QueuedItem = { ...info, size: decoded.raw.length, attempts: saved.attempts };
      let receipt: Awaited<ReturnType<Deliver>>;
      try {
        receipt = await deliver(item, decoded.raw, { signal: this.abort.signal });
      } catch (error) {
        await this.failed(item, claimPath, error);
        return;
      }
      await unlink(claimPath);
      this.forgetBody(id);
      if (saved.attempts > 0 || saved.lastFailure) await unlink(this.paths.state(id)).catch(() => {});
      notify(this.observerOf(), this.logger, 'delivered', item, receipt);
    } catch (error) {
      // Bookkeeping failed (disk trouble): the claim stays and is recovered as interrupted later,
      // by whichever process sees it first: from its file.
      this.forgetBody(id);
      this.logger.error({ err: error, id }, 'Spool bookkeeping failed; the message will be retried');
    } finally {
      clearInterval(heartbeat);
    }
  }

  private async failed(item: QueuedItem, claimPath: string, error: unknown): Promise<void> {
    const outcome = settle(item, error, this.tuning, Date.now());
    const attempts = item.attempts + 1;
    if (outcome.action === 'retry') {
      const state = { attempts, nextAttemptAt: outcome.nextAttemptAt, lastFailure: outcome.failure };
      await writeState(this.paths, item.id, state, this.owner, false);
      await rename(claimPath, this.paths.message('queue', item.id));
      this.due.set(item.id, { at: outcome.nextAttemptAt, stateMtime: -1 });
      this.logger.warn(
        {
          id: item.id,
          mailbox: item.mailbox,
          attempts,
          reply: outcome.failure.reply,
          nextAttemptAt: outcome.nextAttemptAt,
        },
        'Delivery failed; will retry',
      );
      notify(this.observerOf(), this.logger, 'retrying', item, outcome.failure, outcome.nextAttemptAt);
      return;
    }
    await writeState(this.paths, item.id, { attempts, lastFailure: outcome.failure }, this.owner, true);
    await rename(claimPath, this.paths.message('dead', item.id));
    this.forgetBody(item.id);
    await fsyncDir(this.paths.dir('dead'));
    this.logger.error(
      {
        id: item.id,
        mailbox: item.mailbox,
        attempts,
        reply: outcome.failure.reply,
        reason: outcome.failure.deadReason,
      },
      'Delivery failed for good; message kept in the dead letters',
    );
    notify(this.observerOf(), this.logger, 'dead', item, outcome.failure);
  }

  private observerOf() {
    return this.tuning.observer;
  }

  private async names(dir: 'tmp' | 'queue' | 'active' | 'dead' | 'state'): Promise<string[]> {
    try {
      return await readdir(this.paths.dir(dir));
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
  }

  private async exists(dir: 'queue' | 'dead', id: string): Promise<boolean> {
    return stat(this.paths.message(dir, id)).then(
      () => true,
      () => false,
    );
  }

  private async inFlight(id: string): Promise<boolean> {
    return (await this.names('active')).some((name) => name.startsWith(`${id}~`));
  }
}

function touch(path: string): Promise<void> {
  const now = new Date();
  return utimes(path, now, now);
}

/** The state file's mtime, 0 when there is none. */
async function mtimeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).mtimeMs;
  } catch {
    return 0;
  }
}

async function olderThan(path: string, ms: number): Promise<boolean> {
  try {
    return Date.now() - (await stat(path)).mtimeMs > ms;
  } catch {
    return false;
  }
}

/** The last failure kept for display, without the dead-letter reason (the message is pending again). */
function lastOf(state: SpoolState): Pick<SpoolState, 'lastFailure'> {
  if (!state.lastFailure) return {};
  const { deadReason: _deadReason, ...failure } = state.lastFailure;
  return { lastFailure: failure };
}

function notFound(id: string): QueueError {
  return new QueueError(`[queue:spool] no message ${id} in the queue`, {
    code: 'QUEUE_MESSAGE_NOT_FOUND',
    hint: 'It may have been delivered or dropped meanwhile; kalisto relay queue list shows what is there.',
  });
}

function toMessage(
  header: SpoolHeader,
  saved: SpoolState,
  state: 'pending' | 'dead',
  inFlight: boolean,
): QueuedMessage {
  return {
    ...header,
    attempts: saved.attempts,
    state,
    inFlight,
    ...(state === 'pending' && saved.nextAttemptAt !== undefined
      ? { nextAttemptAt: saved.nextAttemptAt }
      : {}),
    ...(saved.lastFailure ? { lastFailure: saved.lastFailure } : {}),
  };
}
