/**
 * The wire under the POP3 client: the socket (replaced by a TLS socket at STLS), the reply parser,
 * the order command lines are written in, and the connection's end. It knows no POP3 command.
 */
import type { Socket } from 'node:net';
import type { Logger } from '@kalisto/core';
import type { BodySink } from './body-collector.js';
import type { BatchTimer } from './command-telemetry.js';
import {
  clientClosedError,
  closedError,
  type Pop3Endpoint,
  type Pop3StatusLine,
  replyError,
  responseTooLargeError,
  timeoutError,
} from './errors.js';
import { HeldReply, type PendingReply, type ReplyChannel } from './multi-line-reader.js';
import type { ResolvedPop3Options } from './options.js';
import { type Pop3ReplyKind, Pop3ResponseParser } from './response-parser.js';
import type { ReaderFlow } from './retr-stream.js';

const noop = () => undefined;

/** The bound of a body held in memory: a listing's (`maxResponseBytes`) or a message's (`maxMessageBytes`). */
export type Pop3HeldBound = 'response' | 'message';

type ConnectionOptions = Pick<
  ResolvedPop3Options,
  'maxLineLength' | 'maxResponseBytes' | 'maxMessageBytes' | 'timeoutMs'
>;

export class Pop3Connection {
  readonly #endpoint: Pop3Endpoint;
  readonly #options: ConnectionOptions;
  readonly #logger: Logger;
  readonly #parser: Pop3ResponseParser<PendingReply>;
  #socket: Socket;
  /** Set once the connection is unusable; every later command rejects with it. */
  #failure: Error | undefined;
  /** Set while a slow `retr()` reader holds the socket paused (the reply timeout is then off). */
  #pausedForReader = false;
  /** Completes when every lock-step command sent so far has its reply. */
  #tail: Promise<void> = Promise.resolve();
  readonly #onData = (chunk: Buffer) => this.receive(chunk);
  readonly #onError = (error: Error) => {
    this.#socketError = error;
  };
  readonly #onClose = () => this.fail(closedError(this.#endpoint, this.#socketError));
  readonly #onTimeout = () => this.#timedOut();
  #socketError: Error | undefined;
  #closeListeners: (() => void)[] = [];
  readonly #messageOverflow = () =>
    responseTooLargeError(this.#endpoint, 'message', this.#options.maxMessageBytes, 'RETR');
  /** The connection as the pipelined reader sees it. */
  readonly channel: ReplyChannel;
  /** How a `retr()` stream holds the connection back; the reply timeout is off while paused. */
  readonly readerFlow: ReaderFlow = {
    pause: () => {
      this.#pausedForReader = true;
      this.#socket.pause();
    },
    resume: () => {
      if (!this.#pausedForReader) return;
      this.#pausedForReader = false;
      this.#socket.resume();
    },
  };

  constructor(
    socket: Socket,
    endpoint: Pop3Endpoint,
    options: ConnectionOptions,
    logger: Logger,
    timeBatch: BatchTimer | undefined,
  ) {
    this.#endpoint = endpoint;
    this.#options = options;
    this.#logger = logger;
    this.#parser = new Pop3ResponseParser<PendingReply>({
      endpoint,
      maxLineLength: options.maxLineLength,
      maxResponseBytes: options.maxResponseBytes,
    });
    this.channel = {
      expect: (reply) => this.#parser.expect(reply),
      failure: () => this.#failure,
      write: (lines) => this.#socket.write(lines),
      idle: () => this.#tail,
      holdLockStep: (replies) => {
        this.#tail = Promise.all([this.#tail, replies]).then(noop, noop);
      },
      messageReply: () => this.#heldReply('RETR', 'message'),
      timeBatch,
    };
    this.#socket = socket;
    this.#attach(socket);
  }

  get socket(): Socket {
    return this.#socket;
  }

  /** Why the connection is unusable (QUIT, close(), a failure); undefined while it is usable. */
  get failure(): Error | undefined {
    return this.#failure;
  }

  /** Bytes received and not yet parsed. */
  get buffered(): number {
    return this.#parser.buffered;
  }

  /** Resolves once every lock-step command sent so far has its reply. */
  idle(): Promise<void> {
    return this.#tail;
  }

  /** Calls `listener` once when the connection ends (at once if it already has). */
  onceClosed(listener: () => void): void {
    if (this.#failure) queueMicrotask(listener);
    else this.#closeListeners.push(listener);
  }

  /** Writes CRLF-terminated lines as they are (a pipelined batch). */
  write(lines: string): void {
    this.#socket.write(lines);
  }

  /** Runs `use` with the socket's bytes not going to the parser (a proxy's CONNECT reply). */
  async withoutParser<T>(use: (socket: Socket) => Promise<T>): Promise<T> {
    this.#socket.off('data', this.#onData);
    const result = await use(this.#socket);
    this.#socket.on('data', this.#onData);
    return result;
  }

  /** Hands the connection to `secure`, a TLS socket over the current plain one. */
  replaceSocket(secure: (plain: Socket) => Socket): Socket {
    const plain = this.#socket;
    this.#detach(plain);
    // The TLS socket reports the plain socket's failures; its own are no longer ours to handle.
    plain.on('error', noop);
    this.#socket = secure(plain);
    this.#attach(this.#socket);
    return this.#socket;
  }

  /** The reply timeout, from now on (after the connect deadline). */
  setReplyTimeout(ms: number): void {
    this.#socket.setTimeout(ms);
  }

  /** A one-line reply's text; a `-ERR` rejects as a `Pop3ReplyError`. */
  async single(line: string, verb: string): Promise<string> {
    const status = await this.request(line, verb, 'single');
    if (status.type !== 'ok') throw replyError(this.#endpoint, verb, status);
    return status.text;
  }

  /** A multi-line reply's body, held in memory within `bound`. */
  async multi(line: string, verb: string, bound: Pop3HeldBound): Promise<Buffer> {
    return (await this.held(line, verb, bound)).result();
  }

  /** Lock-step: writes `line` once every earlier reply is in and reads the reply into memory. */
  async held(line: string, verb: string, bound: Pop3HeldBound): Promise<HeldReply> {
    const reply = this.#heldReply(verb, bound);
    const settled = this.#tail.then(() => {
      if (this.#failure) return reply.onError(this.#failure);
      this.#parser.expect(reply);
      this.#logger.debug({ command: verb }, 'POP3 command');
      this.#socket.write(`${line}\r\n`);
      return reply.whenSettled();
    });
    this.#tail = settled.then(noop, noop);
    await settled;
    return reply;
  }

  /**
   * A reply held in memory, bounded by `maxResponseBytes` (listings, CAPA, TOP) or `maxMessageBytes`
   * (a whole message): crossing it throws from the parser's push, which fails the connection.
   */
  #heldReply(verb: string, bound: Pop3HeldBound): HeldReply {
    if (bound === 'message' && verb === 'RETR')
      return new HeldReply(verb, this.#endpoint, this.#options.maxMessageBytes, this.#messageOverflow);
    const limit = bound === 'message' ? this.#options.maxMessageBytes : this.#options.maxResponseBytes;
    return new HeldReply(verb, this.#endpoint, limit, () =>
      responseTooLargeError(this.#endpoint, bound, limit, verb),
    );
  }

  /**
   * Sends one command line (or none, for the greeting) and resolves with its status once the whole
   * reply is read. Lock-step by default: the line is written after every earlier lock-step reply.
   * Pipelined when given a `batch`: the line joins it at once and the caller writes the batch in one
   * go. The line is never logged or quoted (it may hold an AUTH payload); only `verb` is.
   */
  request(
    line: string | undefined,
    verb: string,
    kind: Pop3ReplyKind,
    body?: BodySink,
    batch?: string[],
  ): Promise<Pop3StatusLine> {
    const send = () =>
      new Promise<Pop3StatusLine>((resolve, reject) => {
        if (this.#failure) {
          reject(this.#failure);
          return;
        }
        let status: Pop3StatusLine | undefined;
        this.#parser.expect({
          kind,
          verb,
          onStatus: (s) => {
            status = s;
            // A multi-line +OK resolves at its end.
            if (kind !== 'multi' || s.type !== 'ok') resolve(s);
          },
          ...(body === undefined ? {} : { onBody: body.add }),
          onEnd: () => resolve(status as Pop3StatusLine),
          onError: reject,
        });
        if (line === undefined) return;
        this.#logger.debug({ command: verb }, 'POP3 command');
        if (batch) batch.push(`${line}\r\n`);
        else this.#socket.write(`${line}\r\n`);
      });
    const reply = batch ? send() : this.#tail.then(send);
    this.#tail = Promise.all([this.#tail, reply]).then(noop, noop);
    return reply;
  }

  /** Bytes from the socket (or ones that came with a proxy's reply) into the parser. */
  receive(chunk: Buffer): void {
    try {
      this.#parser.push(chunk);
    } catch (error) {
      this.fail(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** The connection is unusable: every pending and later command rejects with `error`. */
  fail(error: Error): void {
    if (this.#failure) return;
    this.#failure = error;
    for (const pending of this.#parser.drain()) pending.onError(error);
    this.#socket.on('error', noop);
    // Destroying with the error also ends a connect or TLS handshake in progress (see whenReady).
    this.#socket.destroy(error);
    this.#notifyClosed();
  }

  /** Closes the socket after the final reply; later commands reject with POP3_CLIENT_CLOSED. */
  finish(): void {
    if (!this.#failure) this.#failure = clientClosedError(this.#endpoint);
    for (const pending of this.#parser.drain()) pending.onError(this.#failure);
    this.#detach(this.#socket);
    this.#socket.on('error', noop);
    this.#socket.destroySoon();
    this.#notifyClosed();
  }

  #notifyClosed(): void {
    for (const listener of this.#closeListeners.splice(0)) listener();
  }

  #timedOut(): void {
    const waiting = this.#parser.current;
    if (waiting === undefined || this.#pausedForReader) return;
    this.fail(timeoutError(this.#endpoint, waiting.verb, this.#options.timeoutMs));
  }

  #attach(socket: Socket): void {
    socket.on('data', this.#onData);
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
    socket.on('timeout', this.#onTimeout);
  }

  #detach(socket: Socket): void {
    socket.off('data', this.#onData);
    socket.off('error', this.#onError);
    socket.off('close', this.#onClose);
    socket.off('timeout', this.#onTimeout);
  }
}
