/**
 * The POP3 client: one connection, one class, one small function per command (RFC 1939), with
 * STLS (RFC 2595), CAPA and response codes (RFC 2449), SASL AUTH (RFC 5034) for XOAUTH2 and
 * OAUTHBEARER, streaming RETR and pipelined batch retrieval.
 */
import type { Readable } from 'node:stream';
import { isKalistoError, type KalistoSpan, type KalistoTelemetry, type Logger } from '@kalisto/core';
import { isConnectionReset, noopTelemetry, silentLogger } from '@kalisto/core/plugin';
import { lineCount, messageNumber } from './arguments.js';
import { type SaslConversation, saslLogin } from './authentication.js';
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
import { Pop3Connection } from './connection.js';
import {
  abortError,
  connectTimeoutError,
  GREETING,
  mechanismError,
  type Pop3Endpoint,
  protocolError,
  replyError,
  tlsRequiredError,
} from './errors.js';
import { listingLines, parseListEntry, parseStat, parseUidlEntry } from './listing.js';
import { retrievePipelined } from './multi-line-reader.js';
import { type Pop3ConnectOptions, type ResolvedPop3Options, resolvePop3Options } from './options.js';
import { openTunnel, type ProxyTarget, parseProxyUrl, proxyUnreachableError } from './proxy.js';
import { retrStream } from './retr-stream.js';
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
  readonly #connection: Pop3Connection;
  #secure: boolean;
  #greeting = '';
  #capabilities: Pop3Capabilities = new Map();
  /** In the TRANSACTION state (after a successful AUTH): only then do deletion marks exist. */
  #authenticated = false;
  readonly #sasl: SaslConversation = {
    send: (line) => this.#connection.request(line, 'AUTH', 'auth'),
    fail: (error) => this.#connection.fail(error),
  };

  private constructor(endpoint: Pop3Endpoint, options: ResolvedPop3Options, proxy: ProxyTarget | undefined) {
    this.#options = options;
    this.#endpoint = endpoint;
    this.#logger = options.logger ?? silentLogger;
    this.#telemetry = options.telemetry ?? noopTelemetry;
    const timeBatch = batchTimer(this.#telemetry, endpoint);
    const socket = openSocket(options, proxy);
    this.#connection = new Pop3Connection(socket, endpoint, options, this.#logger, timeBatch);
    this.#secure = options.secure;
  }

  /** See {@link connectPop3}. */
  static async connect(options: Pop3ConnectOptions): Promise<Pop3Client> {
    const resolved = resolvePop3Options(options);
    const endpoint = { protocol: resolved.protocol, host: resolved.host, port: resolved.port };
    const proxy = resolved.proxy === undefined ? undefined : parseProxyUrl(resolved.proxy, endpoint);
    const client = new Pop3Client(endpoint, resolved, proxy);
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
    return this.#connection.failure !== undefined;
  }

  /** Calls `listener` once when the connection ends (at once if it already has). */
  onceClosed(listener: () => void): void {
    this.#connection.onceClosed(listener);
  }

  /** True when the server advertises PIPELINING (RFC 2449), so `retrMany` sends commands in batches. */
  get pipelining(): boolean {
    return this.#capabilities.has('PIPELINING');
  }

  async #open(proxy: ProxyTarget | undefined): Promise<void> {
    const { connectionTimeoutMs, signal } = this.#options;
    const deadline = setTimeout(
      () => this.#connection.fail(connectTimeoutError(this.#endpoint, connectionTimeoutMs)),
      connectionTimeoutMs,
    );
    const abort = () => this.#connection.fail(abortError(this.#endpoint));
    signal?.addEventListener('abort', abort, { once: true });
    let greeted = false;
    try {
      if (signal?.aborted) throw abortError(this.#endpoint);
      if (proxy) await this.#tunnel(proxy);
      else if (this.#secure) await this.#implicitTls();
      else await whenReady(this.#connection.socket, this.#endpoint, false);
      const greeting = await this.#connection.request(undefined, GREETING, 'single');
      greeted = true;
      if (greeting.type !== 'ok') throw replyError(this.#endpoint, GREETING, greeting);
      this.#greeting = greeting.text;
      await this.#readCapabilities();
      if (!this.#secure) await this.#upgrade();
      // The reply timeout takes over from the connect deadline.
      this.#connection.setReplyTimeout(this.#options.timeoutMs);
    } catch (error) {
      this.#connection.fail(error instanceof Error ? error : new Error(String(error)));
      const failure = this.#connection.failure ?? error;
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
      await whenReady(this.#connection.socket, this.#endpoint, true, onTcpConnected);
    } catch (error) {
      span?.fail(error);
      throw error;
    } finally {
      span?.end();
    }
  }

  /** Connects through the proxy's tunnel, then starts TLS through it for implicit TLS. */
  async #tunnel(proxy: ProxyTarget): Promise<void> {
    await whenReady(this.#connection.socket, this.#endpoint, false).catch((error: unknown) => {
      throw isKalistoError(error) && error.code === 'POP3_CONNECT_FAILED'
        ? proxyUnreachableError(this.#endpoint, proxy, error.cause)
        : error;
    });
    const early = await this.#connection.withoutParser((socket) => openTunnel(socket, proxy, this.#endpoint));
    if (this.#secure) {
      // A TLS server waits for the client's hello: bytes before it are not TLS.
      if (early.length > 0) throw protocolError(this.#endpoint, 'it sent data before the TLS handshake');
      await this.#startTls();
    } else if (early.length > 0) {
      this.#connection.receive(early);
    }
  }

  /** Replaces the plain socket with a TLS socket over it and waits for the verified handshake. */
  async #startTls(): Promise<void> {
    const span = startTlsSpan(this.#telemetry, this.#endpoint);
    const secure = this.#connection.replaceSocket((plain) => startTls(plain, this.#options));
    await spanning(span, whenReady(secure, this.#endpoint, true));
    this.#secure = true;
  }

  async #readCapabilities(): Promise<void> {
    const reply = await this.#connection.held('CAPA', 'CAPA', 'response');
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
    const status = await this.#connection.request('STLS', 'STLS', 'single');
    if (status.type !== 'ok') throw replyError(this.#endpoint, 'STLS', status);
    // Bytes that came with the +OK would be plaintext injected into the TLS session.
    if (this.#connection.buffered > 0) throw protocolError(this.#endpoint, 'it sent data after STLS');
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
    return parseStat(await this.#timed('STAT', this.#connection.single('STAT', 'STAT')), this.#endpoint);
  }

  /** `LIST`: every message's size. */
  list(): Promise<Pop3ListEntry[]>;
  /** `LIST n`: one message's size. */
  list(number: number): Promise<Pop3ListEntry>;
  async list(number?: number): Promise<Pop3ListEntry[] | Pop3ListEntry> {
    if (number !== undefined) {
      const text = await this.#timed(
        'LIST',
        this.#connection.single(`LIST ${messageNumber(number)}`, 'LIST'),
      );
      return parseListEntry(text, this.#endpoint);
    }
    const lines = listingLines(await this.#timed('LIST', this.#connection.multi('LIST', 'LIST', 'response')));
    return lines.map((line) => parseListEntry(line, this.#endpoint));
  }

  /** `UIDL`: every message's unique id. */
  uidl(): Promise<Pop3UidlEntry[]>;
  /** `UIDL n`: one message's unique id. */
  uidl(number: number): Promise<Pop3UidlEntry>;
  async uidl(number?: number): Promise<Pop3UidlEntry[] | Pop3UidlEntry> {
    if (number !== undefined) {
      const text = await this.#timed(
        'UIDL',
        this.#connection.single(`UIDL ${messageNumber(number)}`, 'UIDL'),
      );
      return parseUidlEntry(text, this.#endpoint);
    }
    const lines = listingLines(await this.#timed('UIDL', this.#connection.multi('UIDL', 'UIDL', 'response')));
    return lines.map((line) => parseUidlEntry(line, this.#endpoint));
  }

  /** `TOP n lines`: the header, the blank line and the first `lines` body lines. */
  async top(number: number, lines: number): Promise<Buffer> {
    const line = `TOP ${messageNumber(number)} ${lineCount(lines)}`;
    return this.#timed('TOP', this.#connection.multi(line, 'TOP', 'response'));
  }

  /**
   * `RETR n` as a stream of the message's exact bytes (dot-unstuffed, CRLF kept). Reading slowly
   * holds back the connection (backpressure); destroying the stream skips the rest of the message.
   */
  retr(number: number): Readable {
    const command = `RETR ${messageNumber(number)}`;
    return retrStream(
      this.#connection.readerFlow,
      this.#endpoint,
      (sink) => this.#connection.request(command, 'RETR', 'multi', sink),
      startCommand(this.#telemetry, this.#endpoint, 'RETR'),
    );
  }

  /** `RETR n` into one Buffer (at most `maxMessageBytes`; `retr()` streams a message of any size). */
  retrBuffer(number: number): Promise<Buffer> {
    return this.#timed('RETR', this.#connection.multi(`RETR ${messageNumber(number)}`, 'RETR', 'message'));
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
    await this.#connection.idle();
    this.#logger.debug({ command: 'RETR', count: queue.length, window }, 'POP3 pipelined retrieval');
    yield* retrievePipelined(this.#connection.channel, queue, window);
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
    await this.#timed('DELE', this.#connection.single(`DELE ${messageNumber(number)}`, 'DELE'));
  }

  /** `RSET`: unmarks every message marked deleted in this session. */
  async rset(): Promise<void> {
    await this.#connection.single('RSET', 'RSET');
  }

  /** `NOOP`: keeps the session alive; fails if the server ended it (e.g. the token expired). */
  async noop(): Promise<void> {
    await this.#connection.single('NOOP', 'NOOP');
  }

  /** `QUIT`: commits deletions (UPDATE state) and closes the connection. */
  async quit(): Promise<void> {
    const failure = this.#connection.failure;
    if (failure) throw failure;
    const status = await this.#connection.request('QUIT', 'QUIT', 'single');
    this.#connection.finish();
    if (status.type !== 'ok') throw replyError(this.#endpoint, 'QUIT', status);
  }

  /**
   * Ends the session without committing deletions (RSET, then QUIT), like JavaMail's
   * `folder.close(false)`; never throws. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#connection.failure) return;
    // Before login there are no deletion marks, and RSET is not valid there.
    const commands = this.#authenticated ? ['RSET', 'QUIT'] : ['QUIT'];
    try {
      if (this.pipelining) {
        const batch: string[] = [];
        const replies = commands.map((c) => this.#connection.request(c, c, 'single', undefined, batch));
        this.#connection.write(batch.join(''));
        await Promise.all(replies);
      } else {
        for (const command of commands) await this.#connection.request(command, command, 'single');
      }
    } catch {
      // The connection is going away either way.
    }
    this.#connection.finish();
  }

  /** `result`, recorded as `command`'s duration when telemetry is on. */
  #timed<T>(command: Pop3TimedCommand, result: Promise<T>): Promise<T> {
    return timed(this.#telemetry, this.#endpoint, command, result);
  }
}
