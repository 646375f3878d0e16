/** Shared set-up of the integration tests: a sandbox, a Kalisto with graph, imaps and smtp, a log recorder. */
import { createKalisto, type Kalisto, type KalistoSession, type Logger } from '@kalisto/core';
import { imaps } from '@kalisto/protocol-imap';
import { smtp } from '@kalisto/protocol-smtp';
import { type Sandbox, type SandboxOptions, startSandbox } from '@kalisto/sandbox';
import { msalTokenProvider } from '@kalisto/token-msal';
import type { ImapFlow } from 'imapflow';
import { graph } from '../src/index.js';

/** Every line a logger was given, as JSON text, for the no-secret scan. */
export interface RecordingLogger extends Logger {
  readonly lines: string[];
}

export function recordingLogger(lines: string[] = []): RecordingLogger {
  const write = (level: string) => (obj: object, msg?: string) => {
    lines.push(
      JSON.stringify({ level, msg, ...obj }, (_key, value) =>
        value instanceof Error ? everythingSaid(value) : value,
      ),
    );
  };
  const logger: RecordingLogger = {
    lines,
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: () => logger,
  };
  return logger;
}

export interface GraphTestBed {
  sandbox: Sandbox;
  kalisto: Kalisto;
  logger: RecordingLogger;
  /** The mailbox of the sandbox's properties (client credentials may open any mailbox). */
  user: string;
  /** The sandbox's properties with Graph's endpoint, plus `overrides`; closed by `closeSessions()`. */
  session(overrides?: Record<string, string>): KalistoSession;
  /** An IMAPS client on `mailbox` (app-only, one per mailbox), for reading back what Graph did. */
  imap(mailbox?: string): Promise<ImapFlow>;
  closeSessions(): Promise<void>;
  stop(): Promise<void>;
}

export async function startGraphBed(options: SandboxOptions = {}): Promise<GraphTestBed> {
  const sandbox = await startSandbox(options);
  const logger = recordingLogger();
  const kalisto = createKalisto({
    protocols: [...graph(), imaps(), smtp()],
    tokenProviders: [msalTokenProvider()],
    logger,
  });
  const sessions: KalistoSession[] = [];
  const imapClients = new Map<string, Promise<ImapFlow>>();
  const properties = (overrides: Record<string, string>) => ({
    ...sandbox.properties,
    'mail.graph.host': sandbox.endpoints.graph.host,
    'mail.graph.port': String(sandbox.endpoints.graph.port),
    'mail.debug': 'true',
    ...overrides,
  });
  const bed: GraphTestBed = {
    sandbox,
    kalisto,
    logger,
    user: sandbox.properties['o365.user'] as string,
    session(overrides = {}) {
      const session = kalisto.session(properties(overrides));
      sessions.push(session);
      return session;
    },
    imap(mailbox = bed.user) {
      // One client per mailbox for the whole file: logging in again for each read is most of the time.
      let client = imapClients.get(mailbox);
      if (client === undefined) {
        client = kalisto.session(properties({ 'mail.imaps.user': mailbox })).store('imaps');
        imapClients.set(mailbox, client);
      }
      return client;
    },
    async closeSessions() {
      for (const session of sessions.splice(0)) await session.close();
    },
    async stop() {
      await bed.closeSessions();
      await kalisto.close();
      await sandbox.stop();
    },
  };
  return bed;
}

/** Everything an error exposes as text: message, hint, JSON form, stack and causes. */
export function everythingSaid(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 5; depth++) {
    parts.push(current.message, current.stack ?? '', JSON.stringify(current));
    const json = (current as { toJSON?: () => unknown }).toJSON?.();
    if (json !== undefined) parts.push(JSON.stringify(json));
    current = current.cause;
  }
  return parts.join('\n');
}

/** The rejection of `promise` (fails the test when it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error('expected a rejection');
}

/** A raw RFC 5322 message with CRLF line ends. */
export function rawMessage(from: string, to: string, subject: string, body = 'Sent by Kalisto.'): Buffer {
  return Buffer.from(
    `From: ${from}\r\nTo: ${to}\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '-')}@kalisto.test>\r\nDate: Thu, 01 Jan 2026 00:00:00 +0000\r\n\r\n${body}\r\n`,
  );
}

/** The source of the message with `messageId` in `folder`, over IMAP. */
export async function imapSource(
  client: ImapFlow,
  folder: string,
  messageId: string,
): Promise<Buffer | undefined> {
  const lock = await client.getMailboxLock(folder);
  try {
    const uids = (await client.search({ header: { 'message-id': messageId } }, { uid: true })) || [];
    const uid = uids.at(-1);
    if (uid === undefined) return undefined;
    const message = await client.fetchOne(String(uid), { source: true }, { uid: true });
    return message ? message.source : undefined;
  } finally {
    lock.release();
  }
}

/** Waits until `check()` holds, polling; fails only when it never does within `ms` (a hang). */
export async function eventually(check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met before the hang deadline');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
