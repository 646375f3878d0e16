/**
 * The relay's durable delivery queue: one interface, two backends (`spool`, a directory; `redis`,
 * BullMQ on a shared Redis). The SMTP listener answers 250 once `enqueue` resolves; `start` runs the
 * workers that hand each message to `deliver`.
 *
 * Guarantees (both backends; see docs/relay.md "The queue"):
 * - **Nothing accepted is lost**: `enqueue` resolves only once the message is durable (spool: file
 *   and directory fsynced; redis: acknowledged by Redis, as durable as its persistence setting). It
 *   then ends in exactly one of: delivered (upstream's 2xx), dead-lettered (kept and listable
 *   until `drop`), or dropped by an operator.
 * - **At least once, never concurrently**: no two workers (in one process or several sharing the
 *   spool directory or the Redis) run `deliver` for the same message at the same time. A worker
 *   killed after upstream accepted a message but before it recorded that makes the message be
 *   delivered once more after recovery: at most one duplicate per message per crash, only for the
 *   messages that worker had in flight (at most `concurrency`).
 */

/** The envelope as the client gave it. */
export interface QueueEnvelope {
  /** The envelope sender (`''` for the null sender). */
  readonly from: string;
  /** Every recipient, Bcc-only ones included. */
  readonly to: readonly string[];
}

/** What a listener hands to the queue besides the message bytes. */
export interface QueueMessageInfo {
  /** The mailbox whose session delivers. */
  readonly mailbox: string;
  /** The session transport protocol to deliver through (e.g. `smtp`); absent: the session's default. */
  readonly upstream?: string;
  /** The listener that accepted the message (for logs and metrics). */
  readonly listener?: string;
  readonly envelope: QueueEnvelope;
}

/** What {@link DeliveryQueue.enqueue} takes. */
export interface EnqueueRequest extends QueueMessageInfo {
  /** The message, CRLF line ends, exactly as it will be sent upstream. */
  readonly raw: Buffer;
}

/** A queued message as a worker sees it (the bytes come separately). */
export interface QueuedItem extends QueueMessageInfo {
  readonly id: string;
  /** When `enqueue` accepted it (epoch ms). */
  readonly enqueuedAt: number;
  /** Attempts started before this one (0 on the first). */
  readonly attempts: number;
  /** Size of the message in bytes. */
  readonly size: number;
}

/** Why a message is where it is after a failed attempt. */
export interface FailureRecord {
  /** Upstream's reply line (or the relay's own text when there was none), e.g. `550 5.7.60 …`. */
  readonly reply: string;
  /** The SMTP code of `reply`, when known. */
  readonly code?: number;
  readonly transient: boolean;
  /** When the attempt failed (epoch ms). */
  readonly at: number;
  /**
   * Set on a dead letter: `permanent` (5xx), `attempts` (maxAttempts used up), `expired` (older than
   * maxAge), `interrupted` (its worker died mid-attempt and that used the last attempt), `unreadable`.
   */
  readonly deadReason?: 'permanent' | 'attempts' | 'expired' | 'interrupted' | 'unreadable';
}

/** One row of {@link DeliveryQueue.list}. */
export interface QueuedMessage extends QueuedItem {
  /** `pending` waits (or is being delivered: `inFlight`); `dead` waits for an operator. */
  readonly state: 'pending' | 'dead';
  /** A worker is delivering it right now. */
  readonly inFlight: boolean;
  /** Earliest next attempt (epoch ms), for a pending message that failed before. */
  readonly nextAttemptAt?: number;
  /** The last failure, if any (always set on a dead letter). */
  readonly lastFailure?: FailureRecord;
}

/** What `deliver` returns: upstream's final reply (the relay's `UpstreamReceipt` fits). */
export interface DeliveryReceipt {
  readonly response: string;
}

/** Extra context for one delivery attempt. */
export interface DeliveryContext {
  /** Aborted when `close()` gives up waiting; a delivery may stop early (it then counts as transient). */
  readonly signal: AbortSignal;
}

/** Delivers one message upstream; throws a {@link DeliveryFailure} (anything else counts as transient). */
export type Deliver = (item: QueuedItem, raw: Buffer, context: DeliveryContext) => Promise<DeliveryReceipt>;

/** Counts over the whole queue (every process sharing it). */
export interface QueueStats {
  /** Waiting for a first attempt or a retry, in flight included. */
  readonly pending: number;
  readonly dead: number;
  /** Being delivered right now. */
  readonly inFlight: number;
}

/** Called as messages settle (logs, metrics). Exceptions thrown here are ignored. */
export interface QueueObserver {
  delivered?(item: QueuedItem, receipt: DeliveryReceipt): void;
  /** A transient failure; the next attempt is due at `nextAttemptAt`. */
  retrying?(item: QueuedItem, failure: FailureRecord, nextAttemptAt: number): void;
  dead?(item: QueuedItem, failure: FailureRecord): void;
}

export interface DeliveryQueue {
  readonly kind: 'spool' | 'redis';
  /** Stores the message durably and resolves with its id; rejects (a QueueError) if it could not. */
  enqueue(request: EnqueueRequest): Promise<string>;
  /**
   * Starts the workers (once). Without `start` the queue only stores and administers messages —
   * what `kalisto relay queue list|retry|drop` does.
   */
  start(deliver: Deliver): void;
  /** Pending and dead messages (all, or one state), oldest first. Never reads message bodies. */
  list(filter?: { state?: 'pending' | 'dead' }): Promise<QueuedMessage[]>;
  /** A dead message goes back to pending with fresh attempts; a pending one becomes due now. */
  retry(id: string): Promise<void>;
  /** Deletes a pending or dead message; refuses one in flight (`QUEUE_MESSAGE_BUSY`). */
  drop(id: string): Promise<void>;
  stats(): Promise<QueueStats>;
  /**
   * Stops taking messages and starting attempts, waits for the attempts in flight up to
   * `timeoutMs` (default 10 s), then aborts them and returns; an attempt that still completes
   * afterwards is recorded as usual, one that never does is recovered by the next worker (see the
   * duplicate guarantee above). Idempotent.
   */
  close(options?: { timeoutMs?: number }): Promise<void>;
}

/**
 * What `deliver` throws for a failed attempt. `transient` failures (4xx, upstream down, no token)
 * are retried with backoff; permanent ones (5xx) go to the dead letters with `reply`.
 */
export class DeliveryFailure extends Error {
  readonly transient: boolean;
  /** Upstream's reply line, or the relay's own text when there was none. */
  readonly reply: string;
  /** The SMTP code of `reply`, when known. */
  readonly code: number | undefined;
  /** Do not retry before this (e.g. Exchange's 432: 15 s); the backoff may wait longer. */
  readonly retryAfterMs: number | undefined;

  constructor(options: {
    transient: boolean;
    reply: string;
    code?: number;
    retryAfterMs?: number;
    cause?: unknown;
  }) {
    super(options.reply, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DeliveryFailure';
    this.transient = options.transient;
    this.reply = options.reply;
    this.code = options.code;
    this.retryAfterMs = options.retryAfterMs;
  }
}
