/**
 * The relay's side of the conversation with the mailbox server until login: the connection (TCP,
 * implicit TLS, the STARTTLS/STLS upgrade, verified by core's shared TLS context), its lines (bounded:
 * nothing before login is large), and the hand-over of the raw socket once logged in.
 */
import { connect as connectTcp, isIP, type Socket } from 'node:net';
import { type ConnectionOptions, connect as connectTls, type TLSSocket } from 'node:tls';
import type { ProtocolSettings, ResolvedConfig } from '@kalisto/core';
import { trustedSecureContext } from '@kalisto/core/plugin';
import {
  type UpstreamEndpoint,
  upstreamClosedError,
  upstreamConnectError,
  upstreamProtocolError,
  upstreamTlsError,
} from './errors.js';
import { LineBuffer, LineTooLongError } from './line-buffer.js';

/** TLS towards the mailbox server: the shared trusted context at the session's floor, SNI, the name check. */
export function upstreamTlsOptions(
  settings: ProtocolSettings,
  config: Pick<ResolvedConfig, 'tlsCa'>,
): ConnectionOptions {
  return {
    host: settings.host,
    ...(isIP(settings.host) === 0 ? { servername: settings.host } : {}),
    secureContext: trustedSecureContext({ ca: config.tlsCa, minVersion: settings.minTlsVersion }),
    rejectUnauthorized: true,
    // `false` skips only the host name check: the chain is still verified against the trusted CAs.
    ...(settings.checkServerIdentity ? {} : { checkServerIdentity: () => undefined }),
  };
}

/** A logged-in connection to the mailbox server, ready to carry the client's bytes. */
export interface UpstreamHandover {
  socket: Socket;
  /** What the server sent after its last login reply (to pass on to the client first). */
  leftover: Buffer;
}

export class UpstreamDialogue {
  #socket: Socket;
  readonly #endpoint: UpstreamEndpoint;
  readonly #maxBytes: number;
  #buffer: LineBuffer;
  #received = 0;
  #failure: Error | undefined;
  #waiter: { resolve(line: string): void; reject(error: Error): void } | undefined;
  readonly #signal: AbortSignal;

  private constructor(socket: Socket, endpoint: UpstreamEndpoint, maxBytes: number, signal: AbortSignal) {
    this.#socket = socket;
    this.#endpoint = endpoint;
    this.#maxBytes = maxBytes;
    this.#buffer = new LineBuffer(maxBytes);
    this.#signal = signal;
    this.#attach(socket);
    signal.addEventListener('abort', this.#onAbort, { once: true });
  }

  /**
   * Connects (with implicit TLS when `mail.<p>.ssl.enable`); `signal` aborts the attempt and, later,
   * the dialogue (the socket is destroyed, a pending read fails with the signal's reason).
   */
  static async open(
    endpoint: UpstreamEndpoint,
    settings: ProtocolSettings,
    config: Pick<ResolvedConfig, 'tlsCa'>,
    maxBytes: number,
    signal: AbortSignal,
  ): Promise<UpstreamDialogue> {
    signal.throwIfAborted();
    const socket = settings.ssl
      ? connectTls({ ...upstreamTlsOptions(settings, config), port: settings.port })
      : connectTcp({ host: settings.host, port: settings.port });
    await whenReady(socket, endpoint, settings.ssl, signal);
    return new UpstreamDialogue(socket, endpoint, maxBytes, signal);
  }

  get secure(): boolean {
    return (this.#socket as TLSSocket).encrypted === true;
  }

  /** The next line from the server, without its line end. */
  line(): Promise<string> {
    const ready = this.#next();
    if (ready !== undefined) return Promise.resolve(ready);
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  write(text: string): void {
    this.#socket.write(text);
  }

  /**
   * Starts TLS over the connection after the server's go-ahead to STARTTLS/STLS. Anything the
   * server sent after its go-ahead would be unauthenticated clear text: it is a protocol error.
   */
  async startTls(
    settings: ProtocolSettings,
    config: Pick<ResolvedConfig, 'tlsCa'>,
    signal: AbortSignal,
  ): Promise<void> {
    if (this.#buffer.length > 0) {
      throw this.#fail(upstreamProtocolError(this.#endpoint, 'it sent data after agreeing to start TLS'));
    }
    const plain = this.#socket;
    this.#detach(plain);
    const secure = connectTls({ ...upstreamTlsOptions(settings, config), socket: plain });
    this.#socket = secure;
    this.#buffer = new LineBuffer(this.#maxBytes);
    await whenReady(secure, this.#endpoint, true, signal);
    this.#attach(secure);
  }

  /** Stops reading for the login; the socket and what it sent beyond the last line go to the caller. */
  handover(): UpstreamHandover {
    const socket = this.#socket;
    this.#detach(socket);
    this.#signal.removeEventListener('abort', this.#onAbort);
    socket.pause();
    return { socket, leftover: this.#buffer.takeAll() };
  }

  /** Closes the connection (a failed login). */
  close(): void {
    this.#signal.removeEventListener('abort', this.#onAbort);
    this.#socket.destroy();
  }

  readonly #onAbort = (): void => {
    this.#fail(this.#signal.reason as Error);
  };

  #attach(socket: Socket): void {
    socket.on('data', this.#onData);
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
  }

  #detach(socket: Socket): void {
    socket.off('data', this.#onData);
    socket.off('error', this.#onError);
    socket.off('close', this.#onClose);
  }

  readonly #onData = (chunk: Buffer): void => {
    this.#received += chunk.length;
    if (this.#received > this.#maxBytes) {
      this.#fail(upstreamProtocolError(this.#endpoint, `more than ${this.#maxBytes} bytes before login`));
      return;
    }
    this.#buffer.push(chunk);
    const waiter = this.#waiter;
    if (waiter === undefined) return;
    const line = this.#next();
    if (line === undefined) return;
    this.#waiter = undefined;
    waiter.resolve(line);
  };

  readonly #onError = (error: Error): void => {
    this.#fail(upstreamClosedError(this.#endpoint, error));
  };

  readonly #onClose = (): void => {
    this.#fail(upstreamClosedError(this.#endpoint));
  };

  /** A complete line, or undefined; a line over the bound fails the dialogue. */
  #next(): string | undefined {
    if (this.#failure) return undefined;
    try {
      return this.#buffer.line()?.toString('utf8');
    } catch (error) {
      if (!(error instanceof LineTooLongError)) throw error;
      this.#fail(
        upstreamProtocolError(this.#endpoint, `a line longer than ${error.limit} bytes before login`),
      );
      return undefined;
    }
  }

  #fail(error: Error): Error {
    this.#failure ??= error;
    this.#socket.destroy();
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.reject(this.#failure);
    return this.#failure;
  }
}

/**
 * Resolves once the socket is connected (and its TLS handshake done). A failure before TCP
 * connected is a connect error, after it a TLS error; an abort destroys the socket with its reason.
 */
function whenReady(
  socket: Socket,
  endpoint: UpstreamEndpoint,
  tls: boolean,
  signal: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let tcpConnected = !socket.connecting;
    const finish = (error?: Error) => {
      socket.off('connect', onConnect);
      socket.off('secureConnect', onSecure);
      socket.off('error', onError);
      socket.off('close', onClose);
      signal.removeEventListener('abort', onAbort);
      if (error === undefined) {
        resolve();
        return;
      }
      socket.destroy();
      reject(error);
    };
    const onConnect = () => {
      tcpConnected = true;
      if (!tls) finish();
    };
    const onSecure = () => finish();
    const onError = (error: Error) =>
      finish(tls && tcpConnected ? upstreamTlsError(endpoint, error) : upstreamConnectError(endpoint, error));
    const onClose = () => finish(upstreamClosedError(endpoint));
    const onAbort = () => finish(signal.reason as Error);
    if (signal.aborted) {
      onAbort();
      return;
    }
    socket.on('connect', onConnect);
    if (tls) socket.on('secureConnect', onSecure);
    socket.on('error', onError);
    socket.on('close', onClose);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
