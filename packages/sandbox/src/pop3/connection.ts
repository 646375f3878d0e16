/**
 * Binds a POP3 session to a socket: line splitting, STLS upgrade, idle timeout, and every socket
 * failure absorbed (a client that vanishes mid-command must never take the server down).
 */
import type { Socket } from 'node:net';
import { type SecureContext, TLSSocket } from 'node:tls';
import { LineReader } from './line-reader.js';
import { Pop3Session, type Pop3SessionContext, type Pop3Transport } from './session.js';

export interface Pop3ConnectionOptions extends Pop3SessionContext {
  secureContext: SecureContext;
  /** The socket is already TLS (the implicit TLS port). */
  secure: boolean;
}

/** How long a closing connection waits for the client to close its side before dropping it. */
const CLOSE_GRACE_MS = 5_000;

export class Pop3Connection implements Pop3Transport {
  #socket: Socket;
  #secure: boolean;
  #reader: LineReader;
  #session: Pop3Session;
  /** Set while STLS switches sockets: lines already read in plaintext must not run. */
  #upgrading = false;
  #onClose: () => void;
  readonly #idleTimeoutMs: number;
  readonly #secureContext: SecureContext;

  constructor(socket: Socket, options: Pop3ConnectionOptions, onClose: () => void) {
    this.#socket = socket;
    this.#secure = options.secure;
    this.#onClose = onClose;
    this.#idleTimeoutMs = options.behaviour.idleTimeoutMs;
    this.#secureContext = options.secureContext;
    this.#reader = new LineReader(options.behaviour.maxLineLength);
    this.#session = new Pop3Session(this, options);
    this.#attach(socket);
    this.#session.start();
  }

  get secure(): boolean {
    return this.#secure;
  }

  write(data: Buffer): void {
    if (!this.#socket.destroyed && this.#socket.writable) this.#socket.write(data);
  }

  close(): void {
    const socket = this.#socket;
    socket.end();
    // A client that never reads or never closes its side would keep a half-closed socket open
    // forever; the idle timer's listener goes, so it cannot answer a socket already ending.
    socket.removeAllListeners('timeout');
    socket.setTimeout(CLOSE_GRACE_MS, () => socket.destroy());
  }

  /** Ends the connection at once (server shutdown). */
  destroy(): void {
    this.#socket.destroy();
  }

  startTls(): void {
    this.#upgrading = true;
    this.#reader.reset();
    const plain = this.#socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('timeout');
    plain.setTimeout(0);
    const secure = new TLSSocket(plain, { isServer: true, secureContext: this.#secureContext });
    // Until the handshake is done, a failure on either layer is the end of this client only.
    plain.on('error', () => secure.destroy());
    secure.once('secure', () => {
      this.#secure = true;
      this.#upgrading = false;
    });
    this.#socket = secure;
    this.#attach(secure);
  }

  #attach(socket: Socket): void {
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    socket.on('error', () => socket.destroy());
    socket.once('close', () => this.#closed(socket));
    socket.setTimeout(this.#idleTimeoutMs, () => this.#idle(socket));
  }

  #idle(socket: Socket): void {
    // An open session says goodbye (and closes); anything else is a socket nobody will end.
    if (socket === this.#socket && this.#session.open && !this.#upgrading) this.#session.timedOut();
    else socket.destroy();
  }

  #receive(chunk: Buffer): void {
    const { lines, overflow } = this.#reader.push(chunk);
    for (const line of lines) {
      if (this.#upgrading || !this.#session.open) return;
      this.#session.handleLine(line);
    }
    if (overflow && !this.#upgrading && this.#session.open) this.#session.lineTooLong();
  }

  #closed(socket: Socket): void {
    // The plain socket of an upgraded connection closes with its TLS socket; report once.
    if (socket !== this.#socket) return;
    this.#session.end();
    this.#onClose();
  }
}
