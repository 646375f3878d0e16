/**
 * The multi-line reply reader (RFC 1939 §3) for replies held in memory: each reply is one object
 * that the parser calls directly and that copies the body into one bounded buffer. The pipelined
 * RETR batches of `retrMany` queue these objects straight on the parser and write each batch in one
 * go: no promise, closure or extra copy per message, and a promise only when the consumer has to
 * wait for a message that is not complete yet.
 */
import { BodyCollector } from './body-collector.js';
import type { BatchTimer } from './command-telemetry.js';
import { type Pop3Endpoint, type Pop3StatusLine, replyError } from './errors.js';
import type { Pop3ReplyHandler } from './response-parser.js';
import type { Pop3Message } from './types.js';

/** The client's side of a queued reply. */
export interface PendingReply extends Pop3ReplyHandler {
  /** The command's verb, for errors. */
  readonly verb: string;
  /** The connection failed before the reply was complete. */
  onError(error: Error): void;
}

/** A multi-line reply read into one bounded buffer; poll `settled` or await `whenSettled()`. */
export class HeldReply implements PendingReply {
  readonly kind = 'multi' as const;
  readonly verb: string;
  readonly #endpoint: Pop3Endpoint;
  readonly #body: BodyCollector;
  #status: Pop3StatusLine | undefined;
  #error: Error | undefined;
  #settled = false;
  #wake: (() => void) | undefined;

  constructor(verb: string, endpoint: Pop3Endpoint, limit: number, overflow: () => Error) {
    this.verb = verb;
    this.#endpoint = endpoint;
    this.#body = new BodyCollector(limit, overflow);
  }

  /** The status line, once read. */
  get status(): Pop3StatusLine | undefined {
    return this.#status;
  }

  /** True once the reply is complete, refused (`-ERR`) or failed with the connection. */
  get settled(): boolean {
    return this.#settled;
  }

  onStatus(status: Pop3StatusLine): void {
    this.#status = status;
    if (status.type !== 'ok') this.#settle();
  }

  onBody(chunk: Buffer, start: number, end: number): void {
    this.#body.add(chunk, start, end);
  }

  onEnd(): void {
    this.#settle();
  }

  onError(error: Error): void {
    this.#error = error;
    this.#settle();
  }

  /** Resolves (never rejects) once settled; the promise is made only when someone waits. */
  whenSettled(): Promise<void> {
    if (this.#settled) return Promise.resolve();
    return new Promise((resolve) => {
      const earlier = this.#wake;
      this.#wake =
        earlier === undefined
          ? resolve
          : () => {
              earlier();
              resolve();
            };
    });
  }

  /** Why the reply did not succeed (the connection's failure, or `-ERR`); undefined if it did or is pending. */
  failure(): Error | undefined {
    if (this.#error) return this.#error;
    const status = this.#status;
    return status === undefined || status.type === 'ok'
      ? undefined
      : replyError(this.#endpoint, this.verb, status);
  }

  /** The body; throws the connection's failure, or a `Pop3ReplyError` for `-ERR`. */
  result(): Buffer {
    if (this.#error) throw this.#error;
    const status = this.#status as Pop3StatusLine;
    if (status.type !== 'ok') throw replyError(this.#endpoint, this.verb, status);
    return this.#body.buffer();
  }

  #settle(): void {
    this.#settled = true;
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

/** What the pipelined reader needs of the connection. */
export interface ReplyChannel {
  /** Queues a reply on the parser (in the order the commands are written). */
  expect(reply: PendingReply): void;
  /** The connection's failure, once it has failed. */
  failure(): Error | undefined;
  /** Writes CRLF-terminated command lines in one go. */
  write(lines: string): void;
  /** Resolves once every command written so far has its reply. */
  idle(): Promise<void>;
  /** Lock-step commands called later are written only after `replies` settle. */
  holdLockStep(replies: Promise<void>): void;
  /** A reply for one message, bounded by `maxMessageBytes`. */
  messageReply(): HeldReply;
  /** Times each batch written (telemetry); undefined when nothing is recorded. */
  readonly timeBatch?: BatchTimer | undefined;
}

/**
 * RETRs `numbers` (validated) with up to `window` in flight, yielding the messages in that order.
 * A batch is written once half the window is free (few, large writes). With `window` 1 (no
 * PIPELINING) each RETR waits until every earlier command has its reply.
 */
export async function* retrievePipelined(
  channel: ReplyChannel,
  numbers: readonly number[],
  window: number,
): AsyncGenerator<Pop3Message> {
  const refillAt = Math.max(1, Math.floor(window / 2));
  const inFlight: HeldReply[] = [];
  let sent = 0;
  let yielded = 0;
  while (yielded < numbers.length) {
    if (window - inFlight.length >= refillAt && sent < numbers.length) {
      if (window === 1) await channel.idle();
      const failure = channel.failure();
      if (failure) throw failure;
      let lines = '';
      const first = inFlight.length;
      let last: HeldReply | undefined;
      while (inFlight.length < window && sent < numbers.length) {
        last = channel.messageReply();
        channel.expect(last);
        inFlight.push(last);
        lines += `RETR ${numbers[sent++]}\r\n`;
      }
      channel.write(lines);
      // Replies come in order: the batch's last settling means the whole batch has.
      if (last) {
        const settled = last.whenSettled();
        channel.holdLockStep(settled);
        channel.timeBatch?.(inFlight.slice(first), settled);
      }
    }
    const head = inFlight[0] as HeldReply;
    if (!head.settled) await head.whenSettled();
    inFlight.shift();
    yield { number: numbers[yielded++] as number, data: head.result() };
  }
}
