/**
 * Shared set-up of the relay's integration tests: a sandbox upstream (real msal-node, the
 * protocol-smtp/imap providers), a relay configured by properties, foreign clients run as child
 * processes, a recording logger for the no-secret scans, and reading mail back over IMAP.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
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

/** A started relay and where its listeners are. */
export interface StartedRelay {
  relay: Relay;
  /** The relay listener's port by name. */
  port(listener: string): number;
}

export interface RelayBed extends StartedRelay {
  sandbox: Sandbox;
  kalisto: Kalisto;
  logger: RecordingLogger;
  /** A file holding the sandbox CA (what clients verify the relay's certificate with). */
  caFile: string;
  dir: string;
  /** Another relay on the same sandbox and Kalisto (stopped by `stop()`). */
  startRelay(
    relayProperties: (sandbox: Sandbox, hash: string) => Record<string, string>,
    base?: (sandbox: Sandbox) => Record<string, string>,
  ): Promise<StartedRelay>;
  stop(): Promise<void>;
}

const portsOf = (relay: Relay) => (listener: string) => {
  const address = relay.addresses[listener];
  if (!address) throw new Error(`no listener ${listener}`);
  return address.port;
};

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
  const relays: Relay[] = [];
  const startRelay: RelayBed['startRelay'] = async (properties, base) => {
    const relay = createRelay({
      kalisto,
      logger,
      properties: {
        ...sandbox.properties,
        ...base?.(sandbox),
        'kalisto.relay.tls.cert': `file:${join(dir, 'relay.crt')}`,
        'kalisto.relay.tls.key': `file:${join(dir, 'relay.key')}`,
        ...properties(sandbox, hash),
      },
    });
    relays.push(relay);
    await relay.start();
    return { relay, port: portsOf(relay) };
  };
  const stop = async () => {
    for (const relay of relays.splice(0)) await relay.stop({ timeoutMs: 5_000 });
    await kalisto.close();
    await sandbox.stop();
  };
  try {
    const first = await startRelay(relayProperties, options.base);
    return { sandbox, kalisto, logger, caFile, dir, ...first, startRelay, stop };
  } catch (error) {
    await stop();
    throw error;
  }
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

/** A line-level SMTP client on a raw socket: what old devices and attackers send, byte for byte. */
export interface RawSmtp {
  /** The server's first reply (220, or 421/554 when it refuses the connection). */
  readonly greeting: string;
  /** Writes `bytes` as they are (no line end added). */
  write(bytes: string | Buffer): void;
  /** Writes `line` + CRLF and resolves with the next complete reply. */
  command(line: string): Promise<string>;
  /** The next complete reply (all its lines). */
  reply(): Promise<string>;
  /** Every byte the server sent so far. */
  transcript(): string;
  close(): void;
}

/** Opens a raw connection and reads the greeting. A reply that never comes fails after `timeoutMs`. */
export async function rawSmtp(
  port: number,
  options: { localAddress?: string; timeoutMs?: number } = {},
): Promise<RawSmtp> {
  const socket = connect({
    host: '127.0.0.1',
    port,
    ...(options.localAddress && { localAddress: options.localAddress }),
  });
  socket.on('error', () => undefined);
  let buffer = '';
  let all = '';
  let waiter: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('latin1');
    all += chunk.toString('latin1');
    waiter?.();
  });
  socket.on('close', () => waiter?.());
  const timeoutMs = options.timeoutMs ?? 20_000;
  const reply = async (): Promise<string> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      // A complete reply ends with a line whose code is followed by a space.
      const match = /^(?:\d{3}-[^\n]*\n)*\d{3}(?: [^\n]*)?\r?\n/.exec(buffer);
      if (match) {
        buffer = buffer.slice(match[0].length);
        return match[0].trimEnd();
      }
      if (socket.destroyed || Date.now() > deadline) throw new Error(`no reply; transcript: ${all}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  };
  await once(socket, 'connect');
  const greeting = await reply();
  return {
    greeting,
    write: (bytes) => void socket.write(bytes),
    async command(line) {
      socket.write(`${line}\r\n`);
      return reply();
    },
    reply,
    transcript: () => all,
    close: () => socket.destroy(),
  };
}

/** A TCP forwarder to an upstream server that can hold what upstream says (to keep a delivery in flight). */
export interface GatedForwarder {
  readonly port: number;
  /** From now on, upstream's bytes are held back until `release()`. */
  hold(): void;
  release(): void;
  /** Upstream "down": new connections are closed at once (and open ones cut) until `up()`. */
  down(): void;
  up(): void;
  close(): Promise<void>;
}

export async function startGatedForwarder(host: string, port: number): Promise<GatedForwarder> {
  let holding = false;
  let isDown = false;
  const held: (() => void)[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server = createServer((client) => {
    if (isDown) {
      client.destroy();
      return;
    }
    const upstream = connect(port, host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
      socket.once('close', () => sockets.delete(socket));
    }
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk) => {
      if (holding) held.push(() => client.write(chunk));
      else client.write(chunk);
    });
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as import('node:net').AddressInfo).port,
    hold: () => {
      holding = true;
    },
    release: () => {
      holding = false;
      for (const write of held.splice(0)) write();
    },
    down: () => {
      isDown = true;
      for (const socket of sockets) socket.destroy();
    },
    up: () => {
      isDown = false;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Waits for `condition` (checked on each turn of the event loop, up to `limit` times); fails only on a hang. */
export async function eventually(condition: () => Promise<boolean>, limit = 20_000): Promise<void> {
  for (let i = 0; i < limit; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error('the condition never became true');
}
