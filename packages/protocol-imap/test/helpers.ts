/** Shared set-up of the integration tests: a sandbox, a Kalisto with the IMAP providers, a log sink. */
import { createKalisto, type Kalisto, type Logger } from '@kalisto/core';
import type { SandboxOptions } from '@kalisto/sandbox';
import { type Sandbox, startSandbox } from '@kalisto/sandbox';
import { msalTokenProvider } from '@kalisto/token-msal';
import { imap, imaps } from '../src/index.js';

/** Every line logged, as JSON text, for the "no token in any log" scans. */
export interface LogSink {
  logger: Logger;
  lines: string[];
}

export function logSink(): LogSink {
  const lines: string[] = [];
  const write =
    (level: string) =>
    (obj: object, msg?: string): void => {
      lines.push(`${level} ${msg ?? ''} ${safeJson(obj)}`);
    };
  const logger: Logger = {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
  };
  return { logger, lines };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
  } catch {
    return String(value);
  }
}

export interface ImapTestBed {
  sandbox: Sandbox;
  kalisto: Kalisto;
  log: LogSink;
  /** The mailbox the sandbox's properties log in to (client credentials). */
  user: string;
  stop(): Promise<void>;
}

/** A running sandbox and a Kalisto with imap/imaps providers, the MSAL token provider and a log sink. */
export async function startTestBed(options: SandboxOptions = {}): Promise<ImapTestBed> {
  const sandbox = await startSandbox(options);
  const log = logSink();
  const kalisto = createKalisto({
    protocols: [imap(), imaps()],
    tokenProviders: [msalTokenProvider()],
    logger: log.logger,
  });
  const user = sandbox.properties['o365.user'] as string;
  return {
    sandbox,
    kalisto,
    log,
    user,
    async stop() {
      await kalisto.close();
      await sandbox.stop();
    },
  };
}

/** Delegated (password grant) properties for a fixture user through the public desktop app. */
export function delegatedProperties(sandbox: Sandbox, upn: string, password: string): Record<string, string> {
  const { 'o365.oauth.clientSecret': _secret, ...rest } = sandbox.properties;
  return {
    ...rest,
    'o365.oauth.clientId': sandbox.fixtures.publicApp.clientId,
    'o365.oauth.flow': 'password',
    'o365.oauth.scope': 'https://outlook.office.com/IMAP.AccessAsUser.All offline_access',
    'o365.user': upn,
    'o365.password': password,
  };
}

/** A small RFC 5322 message with CRLF line ends. */
export function message(subject: string, body = 'Hello from Kalisto.'): Buffer {
  return Buffer.from(
    [
      'From: sender@fabrikam.example',
      'To: adele@contoso.example',
      `Subject: ${subject}`,
      `Message-ID: <${subject.replace(/\W+/g, '.')}@kalisto.test>`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      body,
      '',
    ].join('\r\n'),
  );
}

/** Every access token the sandbox's identity platform issued during a test can be found in here. */
export function containsJwt(text: string): boolean {
  return /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./.test(text);
}
