/**
 * The baseline for POP3 downloads: the least a pipelined reader must do. It sends RETR commands in
 * windows and cuts replies at `\r\n.\r\n`, without undoing the dot-stuffing and without checking
 * anything, so its messages are NOT byte-exact when a line starts with a dot. It looks for a
 * terminator split across two chunks only when the earlier chunk has at least 4 bytes (TLS records
 * are far larger). Benchmarks only.
 */
import { connect, type TLSSocket } from 'node:tls';

const CRLF = Buffer.from('\r\n');
const TERMINATOR = Buffer.from('\r\n.\r\n');
const EMPTY = Buffer.alloc(0);

export interface RawPop3Options {
  host: string;
  port: number;
  ca: string;
  user: string;
  accessToken: string;
}

/** A logged-in POP3S connection that can only download. */
export class RawPop3Reader {
  readonly #socket: TLSSocket;
  /** Bytes received and not consumed yet. */
  #pending: Buffer[] = [];
  #waiters: (() => void)[] = [];
  #closed = false;

  private constructor(socket: TLSSocket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#pending.push(chunk);
      for (const wake of this.#waiters.splice(0)) wake();
    });
    socket.on('close', () => {
      this.#closed = true;
      for (const wake of this.#waiters.splice(0)) wake();
    });
    socket.on('error', () => {});
  }

  static async open(options: RawPop3Options): Promise<RawPop3Reader> {
    const socket = connect({ host: options.host, port: options.port, ca: [options.ca] });
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    const reader = new RawPop3Reader(socket);
    await reader.#expect('+OK');
    socket.write('AUTH XOAUTH2\r\n');
    await reader.#expect('+');
    const payload = Buffer.from(
      `user=${options.user}\x01auth=Bearer ${options.accessToken}\x01\x01`,
    ).toString('base64');
    socket.write(`${payload}\r\n`);
    await reader.#expect('+OK');
    return reader;
  }

  /** Waits for more bytes. */
  #more(): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('connection closed'));
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #buffer(): Buffer {
    if (this.#pending.length > 1) this.#pending = [Buffer.concat(this.#pending)];
    return this.#pending[0] ?? Buffer.alloc(0);
  }

  #consume(bytes: number): void {
    const rest = this.#buffer().subarray(bytes);
    this.#pending = rest.length > 0 ? [rest] : [];
  }

  async #line(): Promise<string> {
    for (;;) {
      const buffer = this.#buffer();
      const end = buffer.indexOf(CRLF);
      if (end >= 0) {
        this.#consume(end + 2);
        return buffer.toString('latin1', 0, end);
      }
      await this.#more();
    }
  }

  async #expect(prefix: string): Promise<void> {
    const line = await this.#line();
    if (!line.startsWith(prefix)) throw new Error(`unexpected POP3 reply (${line.slice(0, 4)})`);
  }

  /**
   * Retrieves messages `1..count` with up to `window` RETRs in flight; calls `onMessage` with each
   * body as received (stuffed, final CRLF kept).
   */
  async download(count: number, window: number, onMessage: (body: Buffer) => void): Promise<void> {
    let sent = 0;
    const send = (upTo: number) => {
      const lines: string[] = [];
      while (sent < upTo) lines.push(`RETR ${++sent}\r\n`);
      if (lines.length > 0) this.#socket.write(lines.join(''));
    };
    send(Math.min(window, count));
    for (let received = 0; received < count; ) {
      const status = await this.#line();
      if (!status.startsWith('+OK')) throw new Error('RETR refused');
      // The body: chunks until one holds the terminator (also looked for across a chunk edge).
      const parts: Buffer[] = [];
      let tail: Buffer = EMPTY;
      for (;;) {
        const chunk = this.#pending.shift();
        if (chunk === undefined) {
          await this.#more();
          continue;
        }
        let start: number | undefined;
        if (tail.length > 0) {
          const edge = Buffer.concat([tail, chunk.subarray(0, TERMINATOR.length - 1)]).indexOf(TERMINATOR);
          if (edge >= 0) start = edge - tail.length;
        }
        if (start === undefined) {
          const at = chunk.indexOf(TERMINATOR);
          if (at >= 0) start = at;
        }
        if (start === undefined) {
          parts.push(chunk);
          tail = chunk.subarray(Math.max(0, chunk.length - (TERMINATOR.length - 1)));
          continue;
        }
        // The body keeps the CRLF that begins the terminator.
        const bodyEnd = start + 2;
        if (bodyEnd >= 0) parts.push(chunk.subarray(0, bodyEnd));
        else {
          const last = parts.pop() as Buffer;
          parts.push(last.subarray(0, last.length + bodyEnd));
        }
        const rest = chunk.subarray(start + TERMINATOR.length);
        if (rest.length > 0) this.#pending.unshift(rest);
        break;
      }
      onMessage(parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts));
      received++;
      // Refill once half the window is free, as retrMany does.
      if (sent < count && sent - received <= window / 2) send(Math.min(count, received + window));
    }
  }

  async quit(): Promise<void> {
    this.#socket.write('QUIT\r\n');
    await this.#expect('+OK').catch(() => {});
    this.#socket.destroy();
  }
}
