/** Shared set-up of the integration tests: a sandbox, a Kalisto with the SMTP providers, a log recorder. */
import { createKalisto, type Kalisto, type KalistoSession, type Logger } from '@kalisto/core';
import { type Sandbox, type SandboxOptions, startSandbox } from '@kalisto/sandbox';
import { msalTokenProvider } from '@kalisto/token-msal';
import { smtp, smtps } from '../src/index.js';

/** Every line a logger was given, as JSON text, for the no-secret scan. */
export interface RecordingLogger extends Logger {
  readonly lines: string[];
}

export function recordingLogger(lines: string[] = []): RecordingLogger {
  const write = (level: string) => (obj: object, msg?: string) => {
    lines.push(JSON.stringify({ level, msg, ...obj }));
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

export interface SmtpTestBed {
  sandbox: Sandbox;
  kalisto: Kalisto;
  logger: RecordingLogger;
  /** Opens a session on the sandbox's properties with `overrides`; closed by `closeSessions()`. */
  session(overrides?: Record<string, string>): KalistoSession;
  /** Password-grant properties of a fixture user through the public app (delegated tokens). */
  delegated(upn: string, password: string): Record<string, string>;
  closeSessions(): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestBed(options: SandboxOptions = {}): Promise<SmtpTestBed> {
  const sandbox = await startSandbox(options);
  const logger = recordingLogger();
  const kalisto = createKalisto({
    protocols: [smtp(), smtps()],
    tokenProviders: [msalTokenProvider()],
    logger,
  });
  const sessions: KalistoSession[] = [];
  return {
    sandbox,
    kalisto,
    logger,
    session(overrides = {}) {
      const session = kalisto.session({ ...sandbox.properties, 'mail.debug': 'true', ...overrides });
      sessions.push(session);
      return session;
    },
    delegated: (upn, password) => ({
      'o365.oauth.flow': 'password',
      'o365.oauth.clientId': sandbox.fixtures.publicApp.clientId,
      'o365.oauth.clientSecret': '',
      'o365.oauth.scope': 'https://outlook.office.com/SMTP.Send',
      'o365.user': upn,
      'o365.password': password,
      'mail.smtp.user': upn,
      'mail.smtps.user': upn,
    }),
    async closeSessions() {
      for (const session of sessions.splice(0)) await session.close();
    },
    async stop() {
      await kalisto.close();
      await sandbox.stop();
    },
  };
}

export function jtiOf(token: string): string {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
  return payload.jti as string;
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

/** The Inbox of `address` as stored, exact bytes. */
export function inboxOf(sandbox: Sandbox, address: string): Buffer[] {
  return (sandbox.store.mailbox(address)?.folder('Inbox')?.messages ?? []).map((m) => m.raw);
}

/** A raw RFC 5322 message with CRLF line ends. */
export function rawMessage(from: string, to: string, subject: string, body = 'Sent by Kalisto.'): Buffer {
  return Buffer.from(
    `From: ${from}\r\nTo: ${to}\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '-')}@kalisto.test>\r\n\r\n${body}\r\n`,
  );
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
