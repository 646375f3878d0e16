/**
 * Test support for the shutdown suites: a protocol-neutral line client (send a line, wait for a
 * reply line matching a pattern) over plain TCP or TLS, and bounded waits.
 */
import { once } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

const WAIT_MS = 10_000;

/** Resolves with `promise`, or rejects with `what` after `ms` (a bound against hangs, not a speed test). */
export async function within<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} (still pending after ${ms} ms)`)), ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `condition` (bounded) until it holds; returns whether it did. */
export async function eventually(condition: () => boolean, attempts = 200): Promise<boolean> {
  for (let i = 0; i < attempts && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  return condition();
}

/** Counts of the process's active resources of these kinds (sockets, servers, timers). */
export function activeResources(kinds: readonly string[]): Record<string, number> {
  const active = process.getActiveResourcesInfo();
  return Object.fromEntries(kinds.map((kind) => [kind, active.filter((name) => name === kind).length]));
}

/** A TCP or TLS connection read line by line. */
export class LineClient {
  readonly socket: Socket;
  /** Resolves when the socket closes. */
  readonly closed: Promise<void>;
  /** Resolves when the server has ended the connection (its FIN or a reset), even if this side stays open. */
  readonly ended: Promise<void>;
  #text = '';

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      this.#text += chunk.toString('latin1');
    });
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    this.ended = new Promise((resolve) => {
      socket.once('end', () => resolve());
      socket.once('close', () => resolve());
    });
  }

  /** A plain TCP connection (`allowHalfOpen` keeps it open after the server's FIN). */
  static async plain(port: number, options: { allowHalfOpen?: boolean } = {}): Promise<LineClient> {
    const socket = netConnect({ host: '127.0.0.1', port, allowHalfOpen: options.allowHalfOpen });
    await within(once(socket, 'connect'), 'TCP connect');
    return new LineClient(socket);
  }

  /** A TLS connection with its handshake complete, trusting `ca`. */
  static async tls(port: number, ca: string): Promise<LineClient> {
    const socket = tlsConnect({ host: '127.0.0.1', port, ca, servername: 'localhost' });
    await within(once(socket, 'secureConnect'), 'TLS handshake');
    return new LineClient(socket);
  }

  /** Waits for a line matching `pattern` (lines before it are dropped). */
  async expect(pattern: RegExp): Promise<string> {
    return within(
      (async () => {
        for (;;) {
          const lines = this.#text.split('\r\n');
          const at = lines.slice(0, -1).findIndex((line) => pattern.test(line));
          if (at >= 0) {
            this.#text = lines.slice(at + 1).join('\r\n');
            return lines[at] as string;
          }
          if (this.socket.destroyed) throw new Error(`closed before ${pattern}; got: ${this.#text}`);
          await new Promise((resolve) => this.socket.once('data', resolve).once('close', resolve));
        }
      })(),
      `waiting for ${pattern}`,
    );
  }

  /** Sends `line` + CRLF and waits for a reply matching `reply`. */
  async send(line: string, reply: RegExp): Promise<string> {
    this.socket.write(`${line}\r\n`);
    return this.expect(reply);
  }
}
