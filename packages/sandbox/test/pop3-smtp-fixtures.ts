/**
 * Test support for the POP3 and SMTP server suites: a verifier double that knows tokens by name
 * (the real verifier belongs to the identity server), and a raw POP3 reader (a test tool, not the
 * product client).
 */
import { once } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import type { MailAuthFailure, MailAuthRequest, MailAuthResult, MailAuthVerifier } from '../src/contracts.js';

/** What the double answers for one token string. */
export type FakeGrant =
  | {
      mailbox: string;
      sendAs?: readonly string[];
      expiresAt?: number;
      tokenId?: string;
    }
  | MailAuthFailure;

export interface FakeVerifier extends MailAuthVerifier {
  readonly requests: MailAuthRequest[];
  revoke(tokenId: string): void;
}

/** Accepts exactly the tokens named in `grants`; any other token is `invalid_token`. */
export function fakeVerifier(grants: Record<string, FakeGrant>): FakeVerifier {
  const requests: MailAuthRequest[] = [];
  const revoked = new Set<string>();
  return {
    requests,
    revoke: (tokenId) => void revoked.add(tokenId),
    isRevoked: (tokenId) => revoked.has(tokenId),
    verify(request): MailAuthResult {
      requests.push(request);
      const grant = grants[request.token];
      if (grant === undefined) return { ok: false, reason: 'invalid_token', detail: 'unknown test token' };
      if (typeof grant === 'string') return { ok: false, reason: grant, detail: `test token: ${grant}` };
      const mailbox = grant.mailbox.toLowerCase();
      return {
        ok: true,
        mailbox,
        principal: mailbox,
        sendAs: grant.sendAs ?? [mailbox],
        expiresAt: grant.expiresAt ?? Date.now() + 3_600_000,
        tokenId: grant.tokenId ?? request.token,
      };
    },
  };
}

export function xoauth2(user: string, token: string): string {
  return Buffer.from(`user=${user}\x01auth=Bearer ${token}\x01\x01`).toString('base64');
}

export function oauthBearer(user: string, token: string): string {
  return Buffer.from(`n,a=${user},\x01host=127.0.0.1\x01port=995\x01auth=Bearer ${token}\x01\x01`).toString(
    'base64',
  );
}

/** Undoes POP3 byte-stuffing of a multi-line body (without its terminating `.` line). */
export function dotUnstuff(body: Buffer): Buffer {
  return Buffer.from(body.toString('latin1').replace(/(^|\n)\.\./g, '$1.'), 'latin1');
}

const TIMEOUT_MS = 5_000;

/** A line-oriented reader over a raw socket that can switch to TLS (STLS). */
export class RawPop3Client {
  #socket: Socket;
  #buffer = Buffer.alloc(0);
  #waiters: Array<() => void> = [];
  #closed = false;

  private constructor(socket: Socket) {
    this.#socket = socket;
    this.#listen(socket);
  }

  static async connect(port: number, options: { ca?: string } = {}): Promise<RawPop3Client> {
    const socket = options.ca
      ? tlsConnect({ host: '127.0.0.1', port, ca: options.ca, servername: 'localhost' })
      : netConnect({ host: '127.0.0.1', port });
    await once(socket, options.ca ? 'secureConnect' : 'connect');
    return new RawPop3Client(socket);
  }

  get closed(): boolean {
    return this.#closed;
  }

  #listen(socket: Socket): void {
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#wake();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (socket !== this.#socket) return;
      this.#closed = true;
      this.#wake();
    });
  }

  #wake(): void {
    for (const waiter of this.#waiters.splice(0)) waiter();
  }

  async #until(found: () => number): Promise<Buffer> {
    const deadline = Date.now() + TIMEOUT_MS;
    for (;;) {
      const end = found();
      if (end >= 0) {
        const taken = this.#buffer.subarray(0, end);
        this.#buffer = this.#buffer.subarray(end);
        return taken;
      }
      if (this.#closed) throw new Error(`connection closed; unread: ${this.#buffer.toString('latin1')}`);
      if (Date.now() > deadline) throw new Error('no reply in time');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, TIMEOUT_MS);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The next line, without CRLF. */
  async line(): Promise<string> {
    const taken = await this.#until(() => {
      const at = this.#buffer.indexOf('\r\n');
      return at === -1 ? -1 : at + 2;
    });
    return taken.subarray(0, -2).toString('latin1');
  }

  /** A multi-line body after its status line: dot-unstuffed lines with their CRLFs, without the `.` line. */
  async body(): Promise<Buffer> {
    const taken = await this.#until(() => {
      if (this.#buffer.subarray(0, 3).toString('latin1') === '.\r\n') return 3;
      const at = this.#buffer.indexOf('\r\n.\r\n');
      return at === -1 ? -1 : at + 5;
    });
    return dotUnstuff(taken.subarray(0, taken.length - 3));
  }

  /** Everything until the server closes the connection. */
  async rest(): Promise<Buffer> {
    return this.#until(() => (this.#closed ? this.#buffer.length : -1));
  }

  write(data: string | Buffer): void {
    this.#socket.write(data);
  }

  async command(line: string): Promise<string> {
    this.write(`${line}\r\n`);
    return this.line();
  }

  /** Sends STLS (and `injected` right behind it, in the same write) and switches this reader to TLS trusting `ca`. */
  async startTls(ca: string, injected = ''): Promise<string> {
    this.write(`STLS\r\n${injected}`);
    const reply = await this.line();
    if (!reply.startsWith('+OK')) return reply;
    const plain = this.#socket;
    plain.removeAllListeners('data');
    const secure: TLSSocket = tlsConnect({ socket: plain, ca, servername: 'localhost' });
    this.#socket = secure;
    this.#listen(secure);
    await once(secure, 'secureConnect');
    return reply;
  }

  /** Signs in with the two-line XOAUTH2 exchange; returns the final reply. */
  async authXOAuth2(user: string, token: string): Promise<string> {
    const continuation = await this.command('AUTH XOAUTH2');
    if (continuation !== '+ ') return continuation;
    return this.command(xoauth2(user, token));
  }

  destroy(): void {
    this.#socket.destroy();
  }
}
