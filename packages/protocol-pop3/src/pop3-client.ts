/**
 * The POP3 client: one connection, one class, one small function per command (RFC 1939), with
 * STLS (RFC 2595), CAPA and response codes (RFC 2449), SASL AUTH (RFC 5034) for XOAUTH2 and
 * OAUTHBEARER, streaming RETR and pipelined batch retrieval.
 */
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { isKalistoError, type KalistoSpan, type KalistoTelemetry, type Logger } from '@kalisto/core';
import { isConnectionReset, noopTelemetry, silentLogger } from '@kalisto/core/plugin';
import { lineCount, messageNumber } from './arguments.js';
import { type SaslConversation, saslLogin } from './authentication.js';
import type { BodySink } from './body-collector.js';
import { chooseMechanism, type Pop3Capabilities, parseCapabilities } from './capabilities.js';
import {
  batchTimer,
  type Pop3TimedCommand,
  saslSpan,
  spanning,
  startCommand,
  startTlsSpan,
  timed,
} from './command-telemetry.js';
import {
  abortError,
  clientClosedError,
  closedError,
  connectTimeoutError,
  GREETING,
  mechanismError,
  type Pop3Endpoint,
  type Pop3StatusLine,
  protocolError,
  replyError,
  responseTooLargeError,
  timeoutError,
  tlsRequiredError,
} from './errors.js';
import { listingLines, parseListEntry, parseStat, parseUidlEntry } from './listing.js';
import { HeldReply, type PendingReply, type ReplyChannel, retrievePipelined } from './multi-line-reader.js';
import { type Pop3ConnectOptions, type ResolvedPop3Options, resolvePop3Options } from './options.js';
import { openTunnel, type ProxyTarget, parseProxyUrl, proxyUnreachableError } from './proxy.js';
import { type Pop3ReplyKind, Pop3ResponseParser } from './response-parser.js';
import { type ReaderFlow, retrStream } from './retr-stream.js';
import { openSocket, startTls, whenReady } from './socket.js';
import type {
  Pop3BatchOptions,
  Pop3Credentials,
  Pop3DownloadedMessage,
  Pop3ListEntry,
  Pop3Message,
  Pop3Stat,
  Pop3UidlEntry,
} from './types.js';

const noop = () => undefined;

/** The bound of a body held in memory: a listing's (`maxResponseBytes`) or a message's (`maxMessageBytes`). */
type Pop3HeldBound = 'response' | 'message';

/** Connects, reads the greeting, upgrades with STLS when needed and reads the capabilities. */
export async function connectPop3(options: Pop3ConnectOptions): Promise<Pop3Client> {
  return Pop3Client.connect(options);
}

/** Failures of connects the server reset before its greeting: nothing was sent, so they may repeat. */
const EARLY_RESETS = new WeakSet<object>();

/** True when `connectPop3` failed because the server reset the connection before its greeting. */
export function isResetBeforeGreeting(error: unknown): boolean {
  return typeof error === 'object' && error !== null && EARLY_RESETS.has(error);
}

/**
 * One POP3 connection. Create it with {@link connectPop3} (or `session.store('pop3s')`). Commands
 * may be called concurrently: each is written once the commands called before it have their
 * replies, except the RETR batches of `retrMany`, which keep up to `window` in flight.
 */
export class Pop3Client {
  readonly #options: ResolvedPop3Options;
  readonly #endpoint: Pop3Endpoint;
  readonly #logger: Logger;
  readonly #telemetry: KalistoTelemetry;
  readonly #parser: Pop3ResponseParser<PendingReply>;
  #socket: Socket;
  #secure: boolean;
  #greeting = '';
  #capabilities: Pop3Capabilities = new Map();
  /** Set once the connection is unusable; every later command rejects with it. */
  #failure: Error | undefined;
  /** In the TRANSACTION state (after a successful AUTH): only then do deletion marks exist. */
  #authenticated = false;
  /** Set while a slow `retr()` reader holds the socket paused (the reply timeout is then off). */
  #pausedForReader = false;
  /** Completes when every lock-step command sent so far has its reply. */
  #tail: Promise<void> = Promise.resolve();
  readonly #onData = (chunk: Buffer) => this.#receive(chunk);
  readonly #onError = (error: Error) => {
    this.#socketError = error;
  };
  readonly #onClose = () => this.#fail(closedError(this.#endpoint, this.#socketError));
  readonly #onTimeout = () => this.#timedOut();
  #socketError: Error | undefined;
  #closeListeners: (() => void)[] = [];
  /** The connection as the pipelined reader sees it. */
  readonly #channel: ReplyChannel;
  /** How a `retr()` stream holds the connection back; the reply timeout is off while paused. */
  readonly #readerFlow: ReaderFlow = {
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
  readonly #sasl: SaslConversation = {
    send: (line) => this.#request(line, 'AUTH', 'auth'),
    fail: (error) => this.#fail(error),
  };
  readonly #messageOverflow = () =>
    responseTooLargeError(this.#endpoint, 'message', this.#options.maxMessageBytes, 'RETR');

  private constructor(socket: Socket, options: ResolvedPop3Options) {
    this.#options = options;
    this.#endpoint = { protocol: options.protocol, host: options.host, port: options.port };
    this.#logger = options.logger ?? silentLogger;
    this.#telemetry = options.telemetry ?? noopTelemetry;
    this.#channel = {
      expect: (reply) => this.#parser.expect(reply),
      failure: () => this.#failure,
      write: (lines) => this.#socket.write(lines),
      idle: () => this.#tail,
      holdLockStep: (replies) => {
        this.#tail = Promise.all([this.#tail, replies]).then(noop, noop);
      },
      messageReply: () => this.#heldReply('RETR', 'message'),
      timeBatch: batchTimer(this.#telemetry, this.#endpoint),
    };
    this.#parser = new Pop3ResponseParser<PendingReply>({
      endpoint: this.#endpoint,
      maxLineLength: options.maxLineLength,
      maxResponseBytes: options.maxResponseBytes,
    });
    this.#socket = socket;
    this.#secure = options.secure;
    this.#attach(socket);
  }

  /** See {@link connectPop3}. */
  static async connect(options: Pop3ConnectOptions): Promise<Pop3Client> {
    const resolved = resolvePop3Options(options);
    const endpoint = { protocol: resolved.protocol, host: resolved.host, port: resolved.port };
    const proxy = resolved.proxy === undefined ? undefined : parseProxyUrl(resolved.proxy, endpoint);
    const client = new Pop3Client(openSocket(resolved, proxy), resolved);
    await client.#open(proxy);
    return client;
  }

  /** The greeting's text (after `+OK `). */
  get greeting(): string {
    return this.#greeting;
  }

  /** The capabilities from CAPA (after STLS, the encrypted session's). Empty when CAPA is unsupported. */
  get capabilities(): Pop3Capabilities {
    return this.#capabilities;
  }

  /** True when the connection is encrypted (implicit TLS or STLS). */
  get secure(): boolean {
    return this.#secure;
  }

  /** True once the connection ended (QUIT, close(), a failure or the server hanging up). */
  get closed(): boolean {
    return this.#failure !== undefined;
  }

  /** Calls `listener` once when the connection ends (at once if it already has). */
  onceClosed(listener: () => void): void {
    if (this.closed) queueMicrotask(listener);
    else this.#closeListeners.push(listener);
  }

  #notifyClosed(): void {
    for (const listener of this.#closeListeners.splice(0)) listener();
  }

  /** True when the server advertises PIPELINING (RFC 2449), so `retrMany` sends commands in batches. */
  get pipelining(): boolean {
    return this.#capabilities.has('PIPELINING');
  }

  async #open(proxy: ProxyTarget | undefined): Promise<void> {
    const { connectionTimeoutMs, signal } = this.#options;
    const deadline = setTimeout(
      () => this.#fail(connectTimeoutError(this.#endpoint, connectionTimeoutMs)),
      connectionTimeoutMs,
    );
    const abort = () => this.#fail(abortError(this.#endpoint));
    signal?.addEventListener('abort', abort, { once: true });
    let greeted = false;
    try {
      if (signal?.aborted) throw abortError(this.#endpoint);
      if (proxy) await this.#tunnel(proxy);
      else if (this.#secure) await this.#implicitTls();
      else await whenReady(this.#socket, this.#endpoint, false);
      const greeting = await this.#request(undefined, GREETING, 'single');
      greeted = true;
      if (greeting.type !== 'ok') throw replyError(this.#endpoint, GREETING, greeting);
      this.#greeting = greeting.text;
      await this.#readCapabilities();
      if (!this.#secure) await this.#upgrade();
      // The reply timeout takes over from the connect deadline.
      this.#socket.setTimeout(this.#options.timeoutMs);
    } catch (error) {
      this.#fail(error instanceof Error ? error : new Error(String(error)));
      const failure = this.#failure ?? error;
      if (!greeted && isConnectionReset(failure) && typeof failure === 'object' && failure !== null) {
        EARLY_RESETS.add(failure);
      }
      throw failure;
    } finally {
      clearTimeout(deadline);
      signal?.removeEventListener('abort', abort);
    }
  }

  /** Waits for TCP and the TLS handshake of implicit TLS; the handshake is a `kalisto.mail.tls` span. */
  async #implicitTls(): Promise<void> {
    let span: KalistoSpan | undefined;
    const onTcpConnected = this.#telemetry.enabled
      ? () => {
          span = startTlsSpan(this.#telemetry, this.#endpoint);
        }
      : undefined;
    try {
      await whenReady(this.#socket, this.#endpoint, true, onTcpConnected);
    } catch (error) {
      span?.fail(error);
      throw error;
    } finally {
      span?.end();
    }
  }

  /** Connects through the proxy's tunnel, then starts TLS through it for implicit TLS. */
  async #tunnel(proxy: ProxyTarget): Promise<void> {
    await whenReady(this.#socket, this.#endpoint, false).catch((error: unknown) => {
      throw isKalistoError(error) && error.code === 'POP3_CONNECT_FAILED'
        ? proxyUnreachableError(this.#endpoint, proxy, error.cause)
        : error;
    });
    this.#socket.off('data', this.#onData);
    const early = await openTunnel(this.#socket, proxy, this.#endpoint);
    this.#socket.on('data', this.#onData);
    if (this.#secure) {
      // A TLS server waits for the client's hello: bytes before it are not TLS.
      if (early.length > 0) throw protocolError(this.#endpoint, 'it sent data before the TLS handshake');
      await this.#startTls();
    } else if (early.length > 0) {
      this.#receive(early);
    }
  }

  /** Replaces the plain socket with a TLS socket over it and waits for the verified handshake. */
  async #startTls(): Promise<void> {
    const plain = this.#socket;
    this.#detach(plain);
    // The TLS socket reports the plain socket's failures; its own are no longer ours to handle.
    plain.on('error', noop);
    const span = startTlsSpan(this.#telemetry, this.#endpoint);
    const secure = startTls(plain, this.#options);
    this.#socket = secure;
    this.#attach(secure);
    await spanning(span, whenReady(secure, this.#endpoint, true));
    this.#secure = true;
  }

  async #readCapabilities(): Promise<void> {
    const reply = await this.#held('CAPA', 'CAPA', 'response');
    // A server without CAPA says -ERR: no capabilities. A failed connection throws from result().
    this.#capabilities =
      reply.status?.type === 'err' ? new Map() : parseCapabilities(reply.result().toString('latin1'));
  }

  /** STLS when offered (RFC 2595); the capabilities are read again over TLS. */
  async #upgrade(): Promise<void> {
    const { starttls, starttlsRequired, allowInsecureAuth } = this.#options;
    const wanted = starttls || !allowInsecureAuth;
    if (!(wanted && this.#capabilities.has('STLS'))) {
      if (starttlsRequired) throw tlsRequiredError(this.#endpoint);
      return;
    }
    const status = await this.#request('STLS', 'STLS', 'single');
    if (status.type !== 'ok') throw replyError(this.#endpoint, 'STLS', status);
    // Bytes that came with the +OK would be plaintext injected into the TLS session.
    if (this.#parser.buffered > 0) throw protocolError(this.#endpoint, 'it sent data after STLS');
    await this.#startTls();
    await this.#readCapabilities();
  }

  /**
   * Logs in with SASL XOAUTH2 or OAUTHBEARER (the first of `saslMechanisms` the server offers).
   * XOAUTH2's payload goes on its own line after the server's `+` (Exchange refuses it on the AUTH
   * line). A refusal rejects with an `AuthenticationError` carrying the server text, the token's
   * claims and a hint; a temporary refusal (`[SYS/TEMP]`, `[IN-USE]`) with a transient `Pop3ReplyError`.
   */
  async authenticate(credentials: Pop3Credentials): Promise<void> {
    if (!this.#secure && !this.#options.allowInsecureAuth) throw tlsRequiredError(this.#endpoint);
    const { saslMechanisms } = this.#options;
    const mechanism = chooseMechanism(saslMechanisms, this.#capabilities);
    if (mechanism === undefined) {
      throw mechanismError(this.#endpoint, saslMechanisms, this.#capabilities.get('SASL') ?? []);
    }
    const saslIr = this.#capabilities.has('SASL-IR');
    await saslSpan(this.#telemetry, this.#endpoint, mechanism, () =>
      saslLogin(this.#sasl, mechanism, credentials, this.#endpoint, saslIr),
    );
    this.#authenticated = true;
    this.#logger.debug({ mechanism }, 'POP3 authenticated');
  }

  /** `STAT`: message count and total size of the maildrop. */
  async stat(): Promise<Pop3Stat> {
    return parseStat(await this.#timed('STAT', this.#single('STAT', 'STAT')), this.#endpoint);
  }

  /** `LIST`: every message's size. */
  list(): Promise<Pop3ListEntry[]>;
  /** `LIST n`: one message's size. */
  list(number: number): Promise<Pop3ListEntry>;
  async list(number?: number): Promise<Pop3ListEntry[] | Pop3ListEntry> {
    if (number !== undefined) {
      const text = await this.#timed('LIST', this.#single(`LIST ${messageNumber(number)}`, 'LIST'));
      return parseListEntry(text, this.#endpoint);
    }
    const lines = listingLines(await this.#timed('LIST', this.#multi('LIST', 'LIST', 'response')));
    return lines.map((line) => parseListEntry(line, this.#endpoint));
  }

  /** `UIDL`: every message's unique id. */
  uidl(): Promise<Pop3UidlEntry[]>;
  /** `UIDL n`: one message's unique id. */
  uidl(number: number): Promise<Pop3UidlEntry>;
  async uidl(number?: number): Promise<Pop3UidlEntry[] | Pop3UidlEntry> {
    if (number !== undefined) {
      const text = await this.#timed('UIDL', this.#single(`UIDL ${messageNumber(number)}`, 'UIDL'));
      return parseUidlEntry(text, this.#endpoint);
    }
    const lines = listingLines(await this.#timed('UIDL', this.#multi('UIDL', 'UIDL', 'response')));
    return lines.map((line) => parseUidlEntry(line, this.#endpoint));
  }

  /** `TOP n lines`: the header, the blank line and the first `lines` body lines. */
  async top(number: number, lines: number): Promise<Buffer> {
    const line = `TOP ${messageNumber(number)} ${lineCount(lines)}`;
    return this.#timed('TOP', this.#multi(line, 'TOP', 'response'));
  }

  /**
   * `RETR n` as a stream of the message's exact bytes (dot-unstuffed, CRLF kept). Reading slowly
   * holds back the connection (backpressure); destroying the stream skips the rest of the message.
   */
  retr(number: number): Readable {
    const command = `RETR ${messageNumber(number)}`;
    return retrStream(
      this.#readerFlow,
      this.#endpoint,
      (sink) => this.#request(command, 'RETR', 'multi', sink),
      startCommand(this.#telemetry, this.#endpoint, 'RETR'),
    );
  }

  /** `RETR n` into one Buffer (at most `maxMessageBytes`; `retr()` streams a message of any size). */
  retrBuffer(number: number): Promise<Buffer> {
    return this.#timed('RETR', this.#multi(`RETR ${messageNumber(number)}`, 'RETR', 'message'));
  }

  /**
   * Retrieves many messages, yielded in the order asked. With PIPELINING the RETR commands go out
   * in batches (one write each) keeping up to `window` in flight; without it, one at a time. Each
   * message is held in memory (at most `maxMessageBytes`); `retr()` streams one of any size.
   */
  async *retrMany(numbers: Iterable<number>, options: Pop3BatchOptions = {}): AsyncGenerator<Pop3Message> {
    const queue = Array.from(numbers, messageNumber);
    const window = this.pipelining ? Math.max(1, options.window ?? this.#options.pipelineWindow) : 1;
    // Commands called earlier (an AUTH exchange, say) finish before the first batch goes out.
    await this.#tail;
    this.#logger.debug({ command: 'RETR', count: queue.length, window }, 'POP3 pipelined retrieval');
    yield* retrievePipelined(this.#channel, queue, window);
  }

  /** Every message of the maildrop (with its UIDL id when supported), retrieved as by `retrMany`. */
  async download(options: Pop3BatchOptions = {}): Promise<Pop3DownloadedMessage[]> {
    const uids = new Map<number, string>();
    let numbers: number[];
    if (this.#capabilities.has('UIDL')) {
      const listing = await this.uidl();
      for (const entry of listing) uids.set(entry.number, entry.uid);
      numbers = listing.map((entry) => entry.number);
    } else {
      numbers = (await this.list()).map((entry) => entry.number);
    }
    const messages: Pop3DownloadedMessage[] = [];
    for await (const { number, data } of this.retrMany(numbers, options)) {
      const uid = uids.get(number);
      messages.push(uid === undefined ? { number, data } : { number, data, uid });
    }
    return messages;
  }

  /** `DELE n`: marks a message deleted; QUIT removes it, RSET or close() keeps it. */
  async dele(number: number): Promise<void> {
    await this.#timed('DELE', this.#single(`DELE ${messageNumber(number)}`, 'DELE'));
  }

  /** `RSET`: unmarks every message marked deleted in this session. */
  async rset(): Promise<void> {
    await this.#single('RSET', 'RSET');
  }

  /** `NOOP`: keeps the session alive; fails if the server ended it (e.g. the token expired). */
  async noop(): Promise<void> {
    await this.#single('NOOP', 'NOOP');
  }

  /** `QUIT`: commits deletions (UPDATE state) and closes the connection. */
  async quit(): Promise<void> {
    if (this.#failure) throw this.#failure;
    const status = await this.#request('QUIT', 'QUIT', 'single');
    this.#finish();
    if (status.type !== 'ok') throw replyError(this.#endpoint, 'QUIT', status);
  }

  /**
   * Ends the session without committing deletions (RSET, then QUIT), like JavaMail's
   * `folder.close(false)`; never throws. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#failure) return;
    // Before login there are no deletion marks, and RSET is not valid there.
    const commands = this.#authenticated ? ['RSET', 'QUIT'] : ['QUIT'];
    try {
      if (this.pipelining) {
        const batch: string[] = [];
        const replies = commands.map((c) => this.#request(c, c, 'single', undefined, batch));
        this.#socket.write(batch.join(''));
        await Promise.all(replies);
      } else {
        for (const command of commands) await this.#request(command, command, 'single');
      }
    } catch {
      // The connection is going away either way.
    }
    this.#finish();
  }

  /** Closes the socket after the final reply; later commands reject with POP3_CLIENT_CLOSED. */
  #finish(): void {
    if (!this.#failure) this.#failure = clientClosedError(this.#endpoint);
    for (const pending of this.#parser.drain()) pending.onError(this.#failure);
    this.#detach(this.#socket);
    this.#socket.on('error', noop);
    this.#socket.destroySoon();
    this.#notifyClosed();
  }

  /** `result`, recorded as `command`'s duration when telemetry is on. */
  #timed<T>(command: Pop3TimedCommand, result: Promise<T>): Promise<T> {
    return timed(this.#telemetry, this.#endpoint, command, result);
  }

  async #single(line: string, verb: string): Promise<string> {
    const status = await this.#request(line, verb, 'single');
    if (status.type !== 'ok') throw replyError(this.#endpoint, verb, status);
    return status.text;
  }

  async #multi(line: string, verb: string, bound: Pop3HeldBound): Promise<Buffer> {
    return (await this.#held(line, verb, bound)).result();
  }

  /** Lock-step: writes `line` once every earlier reply is in and reads the reply into memory. */
  async #held(line: string, verb: string, bound: Pop3HeldBound): Promise<HeldReply> {
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
  #request(
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

  #receive(chunk: Buffer): void {
    try {
      this.#parser.push(chunk);
    } catch (error) {
      this.#fail(error instanceof Error ? error : new Error(String(error)));
    }
  }

  #timedOut(): void {
    const waiting = this.#parser.current;
    if (waiting === undefined || this.#pausedForReader) return;
    this.#fail(timeoutError(this.#endpoint, waiting.verb, this.#options.timeoutMs));
  }

  /** The connection is unusable: every pending and later command rejects with `error`. */
  #fail(error: Error): void {
    if (this.#failure) return;
    this.#failure = error;
    for (const pending of this.#parser.drain()) pending.onError(error);
    this.#socket.on('error', noop);
    // Destroying with the error also ends a connect or TLS handshake in progress (see whenReady).
    this.#socket.destroy(error);
    this.#notifyClosed();
  }
}
