/**
 * Shared set-up of the IMAP/POP3 listener tests: a sandbox (or another upstream) behind real MSAL,
 * relay accounts, the listeners, and the foreign clients (Python's imaplib/poplib, curl) run as
 * child processes that report JSON lines.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect as connectTcp } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createKalisto, type Kalisto, type KalistoSession, type Logger } from '@kalisto/core';
import { imap, imaps } from '@kalisto/protocol-imap';
import { pop3, pop3s } from '@kalisto/protocol-pop3';
import type { Sandbox } from '@kalisto/sandbox';
import { msalTokenProvider } from '@kalisto/token-msal';
import { expect } from 'vitest';
import type { MailProxyOptions, ProxyLogin } from '../src/proxy/index.js';

/** The relay password of every test account: it must never show up in a log or a reply. */
export const RELAY_PASSWORD = 'Relay pass 7"x!';

/** Every line logged, as text, for the "no secret in any log" scans. */
export interface LogSink {
  logger: Logger;
  lines: string[];
}

export function logSink(): LogSink {
  const lines: string[] = [];
  const at =
    (level: string) =>
    (obj: object, msg?: string): void => {
      lines.push(`${level} ${msg ?? ''} ${JSON.stringify(obj)}`);
    };
  return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

/** A Kalisto with the IMAP and POP3 providers and real MSAL, logging into `log`. */
export function kalistoFor(log: LogSink): Kalisto {
  return createKalisto({
    protocols: [imap(), imaps(), pop3(), pop3s()],
    tokenProviders: [msalTokenProvider()],
    logger: log.logger,
  });
}

/** A relay account: who logs in with which relay password, and which mailbox session carries it. */
export interface RelayAccount {
  user: string;
  password: string;
  session: KalistoSession;
}

/**
 * `authenticate` and `sessionFor` over a fixed account list (the relay's credential store stands in
 * here), counting how often each is asked.
 */
export function relayAccounts(accounts: readonly RelayAccount[]) {
  const calls = { authenticate: 0, sessionFor: 0 };
  const options: Pick<MailProxyOptions, 'authenticate' | 'sessionFor'> = {
    async authenticate(user, password): Promise<ProxyLogin | undefined> {
      calls.authenticate += 1;
      const account = accounts.find((a) => a.user === user && a.password === password);
      return account === undefined ? undefined : { mailbox: account.user };
    },
    sessionFor(mailbox) {
      calls.sessionFor += 1;
      const account = accounts.find((a) => a.user === mailbox);
      if (account === undefined) throw new Error(`no session for ${mailbox}`);
      return account.session;
    },
  };
  return { options, calls };
}

/** Identity-platform token requests the sandbox served for client credentials. */
export function tokenRequests(sandbox: Sandbox): number {
  return sandbox.hooks.requestCounts().client_credentials ?? 0;
}

/** Writes `pem` to a temporary file (Python and curl read CAs from files). */
export function pemFile(pem: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'kalisto-relay-')), 'ca.pem');
  writeFileSync(file, pem);
  return file;
}

/** One JSON line a foreign client printed. */
export type ClientEvent = Record<string, unknown> & { event: string };

const CLIENTS = {
  imap: fileURLToPath(new URL('./proxy-clients/imap_client.py', import.meta.url)),
  pop3: fileURLToPath(new URL('./proxy-clients/pop3_client.py', import.meta.url)),
};

/**
 * Runs the Python client for `kind` with `plan`; at each `waiting` event `onWait` runs before the
 * client goes on. Resolves with every event; the process is killed (and the promise rejected) only
 * if it hangs past `timeoutMs`.
 */
export function runPython(
  kind: 'imap' | 'pop3',
  plan: Record<string, unknown>,
  onWait: (events: ClientEvent[]) => Promise<void> | void = () => {},
  timeoutMs = 30_000,
): Promise<ClientEvent[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', [CLIENTS[kind], JSON.stringify(plan)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const events: ClientEvent[] = [];
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      const event = JSON.parse(line) as ClientEvent;
      events.push(event);
      if (event.event === 'waiting') {
        Promise.resolve(onWait(events)).then(
          () => child.stdin.write('go\n'),
          (error: unknown) => {
            child.kill('SIGKILL');
            reject(error);
          },
        );
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(events);
      else reject(new Error(`python ${kind} client ended with ${code ?? signal}: ${stderr.slice(-2000)}`));
    });
  });
}

/** What curl printed and how it ended. */
export interface CurlResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs curl (bounded by `--max-time`); never rejects on curl's own failure. */
export function runCurl(args: readonly string[]): Promise<CurlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('curl', ['--silent', '--show-error', '--max-time', '20', ...args]);
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr }));
  });
}

/** A JWT-shaped string (every access token the sandbox issues is one). */
export function containsJwt(text: string): boolean {
  return /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./.test(text);
}

/** Asserts that none of `texts` holds one of `secrets`, an access token, or an XOAUTH2 payload. */
export function expectNoSecrets(texts: readonly string[], secrets: readonly string[]): void {
  const all = texts.join('\n');
  for (const secret of secrets) {
    expect(all).not.toContain(secret);
    // As it appears inside JSON (log lines, recorded events): quotes and backslashes escaped.
    expect(all).not.toContain(JSON.stringify(secret).slice(1, -1));
  }
  expect(containsJwt(all)).toBe(false);
  expect(all).not.toMatch(/auth=Bearer/i);
  // base64 of "user=" (an XOAUTH2 payload).
  expect(all).not.toContain('dXNlcj0');
}

/** A message with what trips naive proxies: dot-stuffed lines, 8-bit text, a long line, no final blank. */
export function trickyMessage(subject: string, extra = ''): Buffer {
  return Buffer.from(
    [
      'From: Sender <sender@fabrikam.example>',
      'To: adele@contoso.example',
      `Subject: ${subject}`,
      `Message-ID: <${subject.replace(/\W+/g, '.')}@relay.kalisto.test>`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      'Zażółć gęślą jaźń.',
      '.',
      '..leading dots',
      `${'x'.repeat(990)}`,
      extra,
      'end',
      '',
    ].join('\r\n'),
  );
}

/** A bare TCP client for the protocol's corner cases (literals, bounds): text in, text out. */
export interface RawClient {
  send(text: string): void;
  /** Resolves with everything received so far once it matches `pattern`; rejects if the connection ends first. */
  until(pattern: RegExp): Promise<string>;
  /** Resolves with everything received once the server has closed the connection. */
  closed(): Promise<string>;
  destroy(): void;
}

export function rawClient(port: number, host = '127.0.0.1'): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp({ host, port });
    let received = '';
    let ended = false;
    const waiters = new Set<() => void>();
    const wake = () => {
      for (const waiter of [...waiters]) waiter();
    };
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('utf8');
      wake();
    });
    socket.on('close', () => {
      ended = true;
      wake();
    });
    socket.on('error', () => {});
    socket.once('connect', () =>
      resolve({
        send: (text) => socket.write(text),
        until: (pattern) =>
          new Promise((done, fail) => {
            const check = () => {
              if (pattern.test(received)) {
                waiters.delete(check);
                done(received);
              } else if (ended) {
                waiters.delete(check);
                fail(new Error(`connection closed before ${pattern}; received: ${received}`));
              }
            };
            waiters.add(check);
            check();
          }),
        closed: () =>
          new Promise((done) => {
            const check = () => {
              if (!ended) return;
              waiters.delete(check);
              done(received);
            };
            waiters.add(check);
            check();
          }),
        destroy: () => socket.destroy(),
      }),
    );
    socket.once('error', reject);
  });
}

/** The message bodies of the python IMAP client's `fetch` event (fails the test when there is none). */
export function fetchedBodies(events: readonly ClientEvent[]): Buffer[] {
  const fetch = events.find((e) => e.event === 'fetch');
  expect(fetch, 'the client fetched').toBeDefined();
  return ((fetch?.bodies ?? []) as string[]).map((b) => Buffer.from(b, 'base64'));
}
