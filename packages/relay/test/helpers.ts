/**
 * Shared set-up of the relay's integration tests: a sandbox upstream (real msal-node, the
 * protocol-smtp/imap providers), a relay configured by properties, foreign clients run as child
 * processes, a recording logger for the no-secret scans, and reading mail back over IMAP.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKalisto, type Kalisto, type Logger } from '@kalisto/core';
import { imaps } from '@kalisto/protocol-imap';
import { smtp, smtps } from '@kalisto/protocol-smtp';
import { type Sandbox, type SandboxOptions, startSandbox } from '@kalisto/sandbox';
import { msalTokenProvider } from '@kalisto/token-msal';
import { createRelay, hashRelayPassword, type Relay } from '../src/index.js';

/** The relay login the tests use, and its password (a relay credential, not a Microsoft one). */
export const PRINTER = { user: 'printer', password: 'Relay-Test-Password-1!' } as const;

/** Every line a logger was given, as JSON text. */
export interface RecordingLogger extends Logger {
  readonly lines: string[];
}

export function recordingLogger(lines: string[] = []): RecordingLogger {
  const write = (level: string) => (obj: object, msg?: string) => {
    lines.push(
      JSON.stringify({ level, msg, ...obj }, (_k, v) =>
        v instanceof Error ? { ...v, message: v.message, stack: v.stack } : v,
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

let printerHash: Promise<string> | undefined;
/** The scrypt hash of {@link PRINTER}'s password (computed once per test file). */
export function printerPasswordHash(): Promise<string> {
  printerHash ??= hashRelayPassword(PRINTER.password);
  return printerHash;
}

export interface RelayBed {
  sandbox: Sandbox;
  kalisto: Kalisto;
  relay: Relay;
  logger: RecordingLogger;
  /** A file holding the sandbox CA (what clients verify the relay's certificate with). */
  caFile: string;
  dir: string;
  /** The relay listener's port by name. */
  port(listener: string): number;
  stop(): Promise<void>;
}

/**
 * A sandbox, and a relay whose base configuration is the sandbox's client-credentials properties,
 * with its certificate (for 127.0.0.1/localhost, signed by the sandbox CA) and `relay` properties.
 */
export async function startRelayBed(
  relayProperties: (sandbox: Sandbox, hash: string) => Record<string, string>,
  options: { sandbox?: SandboxOptions; base?: (sandbox: Sandbox) => Record<string, string> } = {},
): Promise<RelayBed> {
  const sandbox = await startSandbox(options.sandbox);
  const dir = mkdtempSync(join(tmpdir(), 'kalisto-relay-'));
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, sandbox.ca);
  writeFileSync(join(dir, 'relay.crt'), sandbox.tls.cert);
  writeFileSync(join(dir, 'relay.key'), sandbox.tls.key, { mode: 0o600 });
  const logger = recordingLogger();
  const kalisto = createKalisto({
    protocols: [smtp(), smtps(), imaps()],
    tokenProviders: [msalTokenProvider()],
    logger,
  });
  const hash = await printerPasswordHash();
  const relay = createRelay({
    kalisto,
    logger,
    properties: {
      ...sandbox.properties,
      ...options.base?.(sandbox),
      'kalisto.relay.tls.cert': `file:${join(dir, 'relay.crt')}`,
      'kalisto.relay.tls.key': `file:${join(dir, 'relay.key')}`,
      ...relayProperties(sandbox, hash),
    },
  });
  try {
    await relay.start();
  } catch (error) {
    await kalisto.close();
    await sandbox.stop();
    throw error;
  }
  return {
    sandbox,
    kalisto,
    relay,
    logger,
    caFile,
    dir,
    port: (listener) => {
      const address = relay.addresses[listener];
      if (!address) throw new Error(`no listener ${listener}`);
      return address.port;
    },
    async stop() {
      await relay.stop({ timeoutMs: 5_000 });
      await kalisto.close();
      await sandbox.stop();
    },
  };
}

/** What a finished child process said. */
export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a foreign client; killed (and the test failed by its assertions) if it hangs past `timeoutMs`. */
export function run(
  command: string,
  args: readonly string[],
  input?: string,
  timeoutMs = 30_000,
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
}

/** A raw RFC 5322 message with CRLF line ends and a unique subject. */
export function rawMessage(
  from: string,
  to: string,
  subject: string,
  body = 'Scanned by the printer.',
): Buffer {
  return Buffer.from(
    `From: ${from}\r\nTo: ${to}\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '-')}@relay.test>\r\n\r\n${body}\r\n`,
  );
}

/** Every message in `address`'s Inbox, read back over IMAP (imaps) with an app-only session. */
export async function inboxOverImap(bed: RelayBed, address: string): Promise<Buffer[]> {
  const session = bed.kalisto.session({
    ...bed.sandbox.properties,
    'o365.user': address,
    'mail.imaps.user': address,
  });
  try {
    const client = await session.store('imaps');
    const lock = await client.getMailboxLock('INBOX');
    const out: Buffer[] = [];
    try {
      for await (const message of client.fetch('1:*', { source: true })) {
        if (message.source) out.push(message.source);
      }
    } finally {
      lock.release();
    }
    return out;
  } finally {
    await session.close();
  }
}

/** The messages of `address`'s Inbox whose bytes contain `marker`. */
export async function findOverImap(bed: RelayBed, address: string, marker: string): Promise<Buffer[]> {
  return (await inboxOverImap(bed, address)).filter((m) => m.includes(marker));
}
