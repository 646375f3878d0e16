/**
 * One client of a listener, from accept to hand-over: TLS (implicit or STARTTLS), the bounded
 * conversation before login (line length, command count, inactivity, failed logins), the relay
 * credential, the upstream login through the mailbox's session, and then the byte splice. The IMAP
 * and POP3 dialects are subclasses; this class never parses anything after login.
 */
import type { Socket } from 'node:net';
import type { SecureContext } from 'node:tls';
import { isKalistoError } from '@kalisto/core';
import { type UpstreamFailureReply, upstreamFailureReply } from './errors.js';
import { LineBuffer, LineTooLongError } from './line-buffer.js';
import { PROXY_DEFAULTS, type ProxyKind, type ResolvedProxyOptions } from './options.js';
import { upgradeToTls } from './server-tls.js';
import { splice } from './splice.js';
import { loginUpstream, type UpstreamOf } from './upstream-login.js';

/** What every connection of a listener shares. */
export interface ListenerContext {
  readonly kind: ProxyKind;
  readonly options: ResolvedProxyOptions;
  /** The listener's TLS context; undefined with `tls.mode: 'none'`. */
  readonly secureContext: SecureContext | undefined;
  /** Called once when the connection is gone (both sockets closed). */
  readonly onClosed: (connection: ClientConnection) => void;
}

/** Why the relay ends a connection before login; each dialect words it. */
export type CloseReason = 'line-too-long' | 'idle' | 'too-many-commands' | 'too-many-failures' | 'shutdown';

/** The outcome of a login, for the dialect's reply. */
export type LoginOutcome = 'refused-credential' | UpstreamFailureReply;

type State = 'greeting' | 'pre-login' | 'logging-in' | 'proxying' | 'closed';

/** Subclasses read commands from `buffer` and answer them; the rest is here. */
export abstract class ClientConnection {
  protected socket: Socket;
  protected readonly context: ListenerContext;
  /** Bytes from the client not yet handled; released at hand-over. */
  protected buffer: LineBuffer;
  readonly remoteAddress: string;
  #state: State = 'greeting';
  #secure = false;
  #commands = 0;
  #failures = 0;
  #pumping = false;
  #idleTimer: NodeJS.Timeout | undefined;
  #login: AbortController | undefined;
  #upstream: Socket | undefined;

  constructor(socket: Socket, context: ListenerContext) {
    this.socket = socket;
    this.context = context;
    this.remoteAddress = socket.remoteAddress ?? 'unknown';
    this.buffer = new LineBuffer(context.options.maxLineBytes);
  }

  /** Starts the conversation: TLS first with `tls.mode: 'implicit'`, then the greeting. */
  start(): void {
    const raw = this.socket;
    raw.setNoDelay(true);
    raw.on('error', this.#onError);
    raw.once('close', this.#onRawClose);
    this.#armIdleTimer();
    if (this.context.options.tls.mode === 'implicit' && this.context.secureContext !== undefined) {
      const secure = upgradeToTls(raw, this.context.secureContext);
      this.#useSocket(secure);
      secure.once('secure', () => this.#greet());
      return;
    }
    this.#useSocket(raw);
    this.#greet();
  }

  /** True once the client's connection is encrypted. */
  protected get secure(): boolean {
    return this.#secure;
  }

  /** Whether a password may be sent now: over TLS, or where the listener allows clear text. */
  protected get loginAllowed(): boolean {
    return this.#secure || this.context.options.allowPlainLogin;
  }

  /** Whether STARTTLS/STLS is on offer now. */
  protected get tlsAvailable(): boolean {
    return this.context.options.tls.mode === 'starttls' && !this.#secure;
  }

  /** Logged in and carrying bytes. */
  get proxying(): boolean {
    return this.#state === 'proxying';
  }

  /** The greeting line(s), CRLF included. */
  protected abstract greeting(): string;

  /**
   * Handles the next complete command in `buffer`; false when more bytes are needed. May throw
   * `LineTooLongError` (the bound of one command).
   */
  protected abstract step(): Promise<boolean> | boolean;

  /** The last words before the relay hangs up, CRLF included. */
  protected abstract farewell(reason: CloseReason): string;

  /** The reply to a login that failed. */
  protected abstract loginFailed(outcome: LoginOutcome): string;

  /** The reply to a login that succeeded, before the splice begins. */
  protected abstract loggedIn(upstream: UpstreamOf[ProxyKind]): string;

  protected write(text: string): void {
    if (this.#state !== 'closed') this.socket.write(text);
  }

  /**
   * Counts a command; past `maxCommandsBeforeLogin` the client is told so and disconnected. Also
   * restarts the inactivity timer. Returns false when the connection was closed.
   */
  protected countCommand(): boolean {
    this.#commands += 1;
    if (this.#commands > this.context.options.maxCommandsBeforeLogin) {
      this.hangUp('too-many-commands');
      return false;
    }
    this.#armIdleTimer();
    return true;
  }

  /**
   * Starts TLS over the connection (after the client's STARTTLS/STLS was answered). Anything the
   * client sent after its STARTTLS is plain text it may not inject into the TLS session: dropped.
   */
  protected startTls(): void {
    const context = this.context.secureContext;
    if (context === undefined) return;
    this.buffer.takeAll();
    const plain = this.socket;
    plain.off('data', this.#onData);
    const secure = upgradeToTls(plain, context);
    this.#useSocket(secure);
  }

  /** Ends the connection before login with the dialect's farewell. */
  hangUp(reason: CloseReason): void {
    this.endWith(this.farewell(reason));
  }

  /** Ends the connection before login after `lastWords` (LOGOUT's and QUIT's replies, a farewell). */
  protected endWith(lastWords: string): void {
    if (this.#state === 'closed' || this.#state === 'proxying') return;
    this.#login?.abort();
    this.#state = 'closed';
    this.#clearIdleTimer();
    this.socket.end(lastWords);
    // A client that never closes its side must not hold the socket.
    this.socket.destroySoon();
  }

  /** Destroys both sockets at once (the listener's close timeout). */
  destroy(): void {
    this.#login?.abort();
    this.#clearIdleTimer();
    this.socket.destroy();
    this.#upstream?.destroy();
  }

  /**
   * Checks the relay credential, opens the mailbox's session and logs in upstream; then answers
   * the client and splices. Reading from the client pauses meanwhile. Never throws.
   */
  protected async login(user: string, password: string): Promise<void> {
    const { options, kind } = this.context;
    const logger = options.logger;
    // Before the credential is known good, the user name is not logged: people type passwords there.
    const where = { listener: kind, remoteAddress: this.remoteAddress };
    this.#state = 'logging-in';
    this.#clearIdleTimer();
    this.socket.pause();
    const abort = new AbortController();
    this.#login = abort;
    try {
      let mailbox: string;
      try {
        const granted = await options.authenticate(user, password, this.remoteAddress);
        if (granted === undefined) {
          logger.debug(where, 'Relay login refused: wrong relay credential');
          this.#loginFailed('refused-credential');
          return;
        }
        mailbox = granted.mailbox;
      } catch (error) {
        logger.error({ ...where, ...describe(error) }, 'Relay login failed: the credential check threw');
        this.#loginFailed('unavailable');
        return;
      }
      if (this.#state !== 'logging-in') return;
      const log = { ...where, user, mailbox };
      let upstream: UpstreamOf[ProxyKind];
      try {
        const session = await options.sessionFor(mailbox);
        upstream = await loginUpstream({
          kind,
          session,
          protocol: options.upstream,
          timeoutMs: options.upstreamTimeoutMs,
          logger,
          signal: abort.signal,
        });
      } catch (error) {
        if (abort.signal.aborted) return;
        const outcome = upstreamFailureReply(error);
        logger.warn(
          { ...log, ...describe(error) },
          'Relay login failed: the mailbox server did not let the relay in',
        );
        this.#loginFailed(outcome);
        return;
      }
      if (this.#state !== 'logging-in') {
        upstream.socket.destroy();
        return;
      }
      logger.info(log, 'Relay login: proxying to the mailbox server');
      this.#proxy(upstream, mailbox);
    } finally {
      this.#login = undefined;
    }
  }

  #loginFailed(outcome: LoginOutcome): void {
    if (this.#state !== 'logging-in') return;
    this.#state = 'pre-login';
    this.write(this.loginFailed(outcome));
    if (outcome === 'refused-credential') {
      this.#failures += 1;
      if (this.#failures >= this.context.options.maxLoginFailures) {
        this.hangUp('too-many-failures');
        return;
      }
    }
    this.#armIdleTimer();
    this.socket.resume();
  }

  /** Hands the client over to the mailbox server: reply, what each side sent ahead, then the splice. */
  #proxy(upstream: UpstreamOf[ProxyKind], mailbox: string): void {
    const client = this.socket;
    this.#state = 'proxying';
    this.#upstream = upstream.socket;
    client.off('data', this.#onData);
    client.off('error', this.#onError);
    const ahead = this.buffer.takeAll();
    // The line buffer is not needed any more: an idle logged-in connection holds only its sockets.
    this.buffer = EMPTY_BUFFER;
    client.write(this.loggedIn(upstream));
    if (upstream.leftover.length > 0) client.write(upstream.leftover);
    if (ahead.length > 0) upstream.socket.write(ahead);
    client.setKeepAlive(true, PROXY_DEFAULTS.keepAliveMs);
    upstream.socket.setKeepAlive(true, PROXY_DEFAULTS.keepAliveMs);
    upstream.socket.setNoDelay(true);
    const upstreamSocket = upstream.socket;
    splice(client, upstreamSocket, ({ clientError, upstreamError }) => {
      this.context.options.logger.info(
        {
          listener: this.context.kind,
          mailbox,
          remoteAddress: this.remoteAddress,
          bytesFromClient: client.bytesRead,
          bytesToClient: client.bytesWritten,
          ...(clientError ? { clientError: errorCode(clientError) } : {}),
          ...(upstreamError ? { upstreamError: errorCode(upstreamError) } : {}),
        },
        'Relay session ended',
      );
    });
  }

  #greet(): void {
    if (this.#state !== 'greeting') return;
    this.#state = 'pre-login';
    this.write(this.greeting());
    this.socket.on('data', this.#onData);
  }

  /** Reads from `socket` from now on (the raw socket, or its TLS layer). */
  #useSocket(socket: Socket): void {
    this.socket = socket;
    this.#secure = (socket as { encrypted?: boolean }).encrypted === true;
    // The raw socket has its listener from start(); a TLS layer reports handshake failures itself.
    if (this.#secure) socket.on('error', this.#onError);
    if (this.#state !== 'greeting') socket.on('data', this.#onData);
  }

  readonly #onData = (chunk: Buffer): void => {
    this.buffer.push(chunk);
    void this.#pump();
  };

  /** Handles buffered commands one after another; a login in flight holds the rest back. */
  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#state === 'pre-login') {
        if (!(await this.step())) break;
      }
    } catch (error) {
      if (error instanceof LineTooLongError) this.hangUp('line-too-long');
      else {
        this.context.options.logger.error(
          { listener: this.context.kind, remoteAddress: this.remoteAddress, ...describe(error) },
          'Relay connection failed',
        );
        this.destroy();
      }
    } finally {
      this.#pumping = false;
    }
  }

  readonly #onError = (error: Error): void => {
    // TLS handshake failures (an old TLS version, an untrusted certificate) land here.
    this.context.options.logger.debug(
      { listener: this.context.kind, remoteAddress: this.remoteAddress, error: errorCode(error) },
      'Relay client connection error',
    );
    this.#login?.abort();
    this.socket.destroy();
  };

  readonly #onRawClose = (): void => {
    this.#clearIdleTimer();
    this.#login?.abort();
    if (this.#state !== 'proxying') {
      this.#state = 'closed';
      this.context.onClosed(this);
      return;
    }
    const upstream = this.#upstream;
    if (upstream === undefined || upstream.closed) this.context.onClosed(this);
    else upstream.once('close', () => this.context.onClosed(this));
  };

  #armIdleTimer(): void {
    this.#clearIdleTimer();
    this.#idleTimer = setTimeout(() => this.hangUp('idle'), this.context.options.idleTimeoutMs);
  }

  #clearIdleTimer(): void {
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }
}

const EMPTY_BUFFER = new LineBuffer(0);

/** A network error's code, never its whole text (it may quote peer data). */
function errorCode(error: Error): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : error.name;
}

/** An error for the log: a Kalisto error's code, message and hint (secrets already kept out of them). */
function describe(error: unknown): Record<string, unknown> {
  if (isKalistoError(error)) return { code: error.code, error: error.message, hint: error.hint };
  if (error instanceof Error) return { error: `${error.name}: ${error.message}` };
  return { error: String(error) };
}
