/**
 * Test harness for the IMAP server: a MailAuthVerifier double that decides by token name (the
 * identity server is tested on its own), a seeded store, TLS from createSandboxTls, and a raw
 * line-oriented client for protocol robustness tests.
 */
import { once } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import { expect } from 'vitest';
import type {
  MailAuthFailure,
  MailAuthResult,
  MailAuthVerifier,
  MailStore,
  RunningMailServer,
} from '../src/contracts.js';
import { type ImapBehaviour, startImapServer } from '../src/imap/index.js';
import { createMailStore } from '../src/mail-store.js';
import { createSandboxTls, type SandboxTls } from '../src/tls.js';

export const ALICE = 'alice@contoso.com';
export const BOB = 'bob@contoso.com';

const FAILURES: Record<string, MailAuthFailure> = {
  'token-expired': 'expired',
  'token-revoked': 'revoked',
  'token-foreign-tenant': 'wrong_tenant',
  'token-graph': 'wrong_audience',
  'token-no-permission': 'missing_permission',
  'token-no-mailbox-access': 'no_mailbox_access',
};

/**
 * Tokens are names: `valid` opens the SASL user's mailbox for an hour; `short:<ms>` expires after
 * that many ms; `revocable:<id>` is valid until `revoke(id)`; the names in FAILURES fail so.
 */
export class FakeVerifier implements MailAuthVerifier {
  readonly revoked = new Set<string>();
  readonly requests: { mechanism: string; user: string }[] = [];

  verify({ mechanism, user, token }: Parameters<MailAuthVerifier['verify']>[0]): MailAuthResult {
    this.requests.push({ mechanism, user });
    if (token === 'token-crashes-verifier') throw new Error('verifier bug');
    const failure = FAILURES[token];
    if (failure) return { ok: false, reason: failure, detail: `test double: ${failure}` };
    const [kind, arg = ''] = token.split(':');
    const lifetime = kind === 'short' ? Number(arg) : 3_600_000;
    if (kind !== 'valid' && kind !== 'short' && kind !== 'revocable') {
      return { ok: false, reason: 'invalid_token', detail: 'test double: unknown token' };
    }
    const tokenId = kind === 'revocable' ? arg : `jti-${Math.random()}`;
    if (this.revoked.has(tokenId)) return { ok: false, reason: 'revoked', detail: 'test double: revoked' };
    const mailbox = user.toLowerCase();
    return {
      ok: true,
      mailbox,
      principal: mailbox,
      sendAs: [mailbox],
      expiresAt: Date.now() + lifetime,
      tokenId,
    };
  }

  isRevoked(tokenId: string): boolean {
    return this.revoked.has(tokenId);
  }
}

export interface Harness {
  tls: SandboxTls;
  store: MailStore;
  auth: FakeVerifier;
  server: RunningMailServer;
  /** An imapflow client for ALICE over implicit TLS (override anything). */
  client(options?: Partial<ImapFlowOptions>): ImapFlow;
  close(): Promise<void>;
}

let sharedTls: Promise<SandboxTls> | undefined;

/** Starts a server over a fresh store with ALICE (seeded) and BOB. */
export async function startHarness(behaviour: ImapBehaviour = {}): Promise<Harness> {
  sharedTls ??= createSandboxTls();
  const tls = await sharedTls;
  const store = createMailStore({ mailboxes: [ALICE, BOB] });
  store.seed(ALICE, { count: 10, size: 1500 });
  const auth = new FakeVerifier();
  const server = await startImapServer({ store, auth, tls, port: 0, tlsPort: 0, behaviour });
  const clients: ImapFlow[] = [];
  return {
    tls,
    store,
    auth,
    server,
    client(options = {}) {
      const client = new ImapFlow({
        host: '127.0.0.1',
        port: server.tlsPort,
        secure: true,
        tls: { ca: tls.ca },
        auth: { user: ALICE, accessToken: 'valid' },
        logger: false,
        ...options,
      });
      client.on('error', () => {});
      clients.push(client);
      return client;
    },
    async close() {
      for (const client of clients) client.close();
      await server.close();
    },
  };
}

/** A raw client: send lines, wait for a line matching a pattern. */
export class RawClient {
  private buffer = '';
  private waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  readonly lines: string[] = [];
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
    });
  }

  static async plain(port: number): Promise<RawClient> {
    const socket = netConnect(port, '127.0.0.1');
    await once(socket, 'connect');
    const client = new RawClient(socket);
    await client.waitFor(/^\* OK /);
    return client;
  }

  /** A plain TCP connection that waits for no greeting (e.g. to talk nonsense to the TLS port). */
  static async connectOnly(port: number): Promise<RawClient> {
    const socket = netConnect(port, '127.0.0.1');
    await once(socket, 'connect');
    return new RawClient(socket);
  }

  static async secure(port: number, ca: string): Promise<RawClient> {
    const socket = tlsConnect({ host: '127.0.0.1', port, ca });
    await once(socket, 'secureConnect');
    const client = new RawClient(socket);
    await client.waitFor(/^\* OK /);
    return client;
  }

  /** Sends STARTTLS and, after its OK, continues on a verified TLS connection over the same socket. */
  async startTls(tag: string, ca: string, pipelined = ''): Promise<RawClient> {
    this.write(`${tag} STARTTLS\r\n${pipelined}`);
    expect(await this.waitFor(new RegExp(`^${tag} `))).toBe(`${tag} OK Begin TLS negotiation now.`);
    this.socket.removeAllListeners('data');
    const secure = tlsConnect({ socket: this.socket, ca, servername: 'localhost' });
    await once(secure, 'secureConnect');
    return new RawClient(secure);
  }

  private onData(chunk: Buffer): void {
    this.buffer += chunk.toString('utf8');
    let end = this.buffer.indexOf('\r\n');
    while (end !== -1) {
      const line = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      this.lines.push(line);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pattern.test(line)) return true;
        w.resolve(line);
        return false;
      });
      end = this.buffer.indexOf('\r\n');
    }
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Resolves with the first line (already received or future) matching `pattern`. */
  waitFor(pattern: RegExp, timeoutMs = 3000): Promise<string> {
    const seen = this.lines.find((line) => pattern.test(line));
    if (seen !== undefined) {
      this.lines.splice(this.lines.indexOf(seen), 1);
      return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`No line matching ${pattern} in: ${this.lines.join(' | ')}`)),
        timeoutMs,
      );
      this.waiters.push({
        pattern,
        resolve: (line) => {
          clearTimeout(timer);
          this.lines.splice(this.lines.indexOf(line), 1);
          resolve(line);
        },
      });
    });
  }

  /** Sends a command and resolves with its tagged completion line. */
  async command(tag: string, text: string): Promise<string> {
    this.write(`${tag} ${text}\r\n`);
    return this.waitFor(new RegExp(`^${tag} (OK|NO|BAD)`));
  }

  async closedByServer(): Promise<void> {
    if (!this.closed) await once(this.socket, 'close');
  }

  close(): void {
    this.socket.destroy();
  }
}

/** XOAUTH2 initial response for a user and token. */
export function xoauth2(user: string, token: string): string {
  return Buffer.from(`user=${user}\x01auth=Bearer ${token}\x01\x01`).toString('base64');
}
