/**
 * `kalisto relay`: runs `@kalisto/relay` as a service from a relay.properties file until SIGTERM or
 * Ctrl-C; `kalisto relay hash-password` makes a relay credential's hash; `kalisto relay queue …`
 * administers the delivery queue without starting workers.
 */
import { readFile } from 'node:fs/promises';
import { type CacheBackend, consoleLogger, type Kalisto, type Logger, resolveConfig } from '@kalisto/core';
import { withRedaction } from '@kalisto/core/plugin';
import type { ServiceTelemetry } from '@kalisto/opentelemetry';
import type { DeliveryQueue, QueuedMessage, Relay, RelayConfig } from '@kalisto/relay';
import type { Command } from 'commander';
import { loadProperties } from '../config-sources.js';
import type { CliContext } from '../context.js';
import { usageError } from '../errors.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { withoutStacks } from '../log-stacks.js';
import type { CommandRunner } from '../runner.js';
import { rowsOf } from '../table.js';
import { formatDate, formatSize, oneLine, plural } from '../text.js';

/**
 * Properties the CLI reads for the relay's token cache; the relay never sees them. With a URL the
 * Kalisto instance's default cache (the one `websphere.cache` names) is `@kalisto/cache-redis`,
 * so relay instances on one Redis make one token request per mailbox between them.
 */
export const RELAY_CACHE_PROPERTIES = {
  url: 'kalisto.cache.redis.url',
  keyPrefix: 'kalisto.cache.redis.keyPrefix',
} as const;

const CACHE_NAMESPACE = 'kalisto.cache.redis.';

const RELAY_HELP = `
The configuration is a relay.properties file (--config, repeatable; -D wins): kalisto.relay.*
for the relay (listeners, users, TLS, queue, admin server; see docs/relay.md), every other property
the mailbox sessions' (o365.*, mail.*, websphere.cache). env:NAME and file:PATH work for secrets.
Token cache shared by several relay instances: ${RELAY_CACHE_PROPERTIES.url}=redis://… (or env:NAME,
file:PATH) and optionally ${RELAY_CACHE_PROPERTIES.keyPrefix}; KALISTO_CACHE_KEY encrypts it.

SIGTERM or Ctrl-C stops accepting, lets messages in flight finish (kalisto.relay.shutdown.timeout),
then exits 0; a second signal exits at once (1).`;

/** What the relay command reads from its configuration files. */
interface RelayInput {
  config: RelayConfig;
  cache: { url: string; keyPrefix?: string } | undefined;
}

/** `env:NAME` or `file:PATH` (relative paths were anchored to the configuration file), else the value. */
async function dereference(value: string, property: string, env: CliIo['env']): Promise<string> {
  if (value.startsWith('env:')) {
    const resolved = env[value.slice(4)];
    if (!resolved) throw usageError(`${property}: the environment variable ${value.slice(4)} is not set.`);
    return resolved;
  }
  if (value.startsWith('file:')) {
    const text = await readFile(value.slice(5), 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw usageError(`${property}: cannot read ${value.slice(5)} (${error.code ?? 'error'}).`);
    });
    return text.replace(/\r?\n$/, '');
  }
  return value;
}

/** Reads the files and -D flags: the cache properties taken out, the rest checked by the relay. */
async function readRelayInput(context: CliContext): Promise<RelayInput> {
  if ((context.options.config ?? []).length === 0 && (context.options.define ?? []).length === 0) {
    throw usageError(
      'kalisto relay needs its configuration.',
      'Give --config relay.properties (or set KALISTO_CONFIG); see docs/relay.md.',
    );
  }
  const properties = await loadProperties(context.options);
  const cacheValues: Record<string, string> = {};
  for (const name of Object.keys(properties)) {
    if (!name.startsWith(CACHE_NAMESPACE)) continue;
    if (!(Object.values(RELAY_CACHE_PROPERTIES) as string[]).includes(name)) {
      throw usageError(
        `Unknown property ${name}.`,
        `The relay's token cache takes ${Object.values(RELAY_CACHE_PROPERTIES).join(' and ')}.`,
      );
    }
    cacheValues[name] = properties[name] as string;
    delete properties[name];
  }
  const { loadRelayConfig } = await import('@kalisto/relay');
  const config = loadRelayConfig(properties, { env: context.io.env });
  const givenUrl = cacheValues[RELAY_CACHE_PROPERTIES.url];
  if (givenUrl === undefined) {
    if (cacheValues[RELAY_CACHE_PROPERTIES.keyPrefix] !== undefined) {
      throw usageError(`${RELAY_CACHE_PROPERTIES.keyPrefix} needs ${RELAY_CACHE_PROPERTIES.url}.`);
    }
    return { config, cache: undefined };
  }
  const url = await dereference(givenUrl, RELAY_CACHE_PROPERTIES.url, context.io.env);
  context.redactor.add(url);
  const keyPrefix = cacheValues[RELAY_CACHE_PROPERTIES.keyPrefix];
  return { config, cache: { url, ...(keyPrefix === undefined ? {} : { keyPrefix }) } };
}

/** Every secret of the configuration goes to the redactor, so no output or log line can show it. */
function guardSecrets(context: CliContext, config: RelayConfig): void {
  context.redactor.add(config.tls?.key);
  for (const user of config.users) context.redactor.add(user.passwordHash);
  const queue = config.queue.options;
  if (queue?.kind === 'redis') context.redactor.add(queue.url);
  const base = resolveConfig(config.base);
  for (const secret of [base.oauth.clientSecret, base.oauth.password, base.oauth.certificate?.privateKey])
    context.redactor.add(secret);
}

/** Log lines on standard error: info by default (a service says what it does), debug with --debug. */
function relayLogger(context: CliContext, level: 'info' | 'warn'): Logger {
  const console = consoleLogger({
    level: context.debug ? 'debug' : level,
    write: (line) => context.io.stderr(line),
  });
  return withRedaction(context.debug ? console : withoutStacks(console), context.redactor);
}

/** The Kalisto the relay's sessions use: the CLI's providers, the token cache on Redis when configured. */
async function relayKalisto(
  input: RelayInput,
  logger: Logger,
  telemetry: ServiceTelemetry,
): Promise<Kalisto> {
  const [{ createOutlook }, { oauth2TokenProvider }] = await Promise.all([
    import('@kalisto/outlook'),
    import('@kalisto/token-oauth2'),
  ]);
  let cache: CacheBackend | undefined;
  if (input.cache) {
    const { redisCache } = await import('@kalisto/cache-redis');
    cache = redisCache({ ...input.cache, logger });
  }
  return createOutlook({
    logger,
    tokenProviders: [oauth2TokenProvider()],
    ...(cache === undefined ? {} : { cache }),
    telemetry,
  });
}

/** Resolves with the first SIGTERM/SIGINT; a second one exits at once. */
function firstSignal(onSecond: (signal: NodeJS.Signals) => void): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received = false;
    const handler = (signal: NodeJS.Signals) => {
      if (received) onSecond(signal);
      received = true;
      resolve(signal);
    };
    process.on('SIGTERM', handler);
    process.on('SIGINT', handler);
  });
}

function describeStarted(relay: Relay) {
  const listeners = relay.config.listeners.map((listener) => {
    const address = relay.addresses[listener.name];
    return {
      name: listener.name,
      protocol: listener.protocol,
      host: address?.host ?? listener.host,
      port: address?.port ?? listener.port,
      mode: listener.mode,
      tls: listener.tls.mode,
    };
  });
  return { pid: process.pid, listeners, admin: relay.adminAddress ?? null, queue: relay.config.queue.kind };
}

async function runRelay(context: CliContext): Promise<ExitCode> {
  const input = await readRelayInput(context);
  guardSecrets(context, input.config);
  const logger = relayLogger(context, 'info');
  const { createRelay } = await import('@kalisto/relay');
  const { startTelemetry } = await import('@kalisto/opentelemetry');
  // One MeterProvider for the relay and its Kalisto: /metrics shows both; OTLP when OTEL_* says so.
  const telemetry = startTelemetry({ serviceName: 'kalisto-relay', env: context.io.env, logger });
  const kalisto = await relayKalisto(input, logger, telemetry);
  let relay: Relay;
  try {
    relay = createRelay({ kalisto, config: input.config, logger, telemetry });
    await relay.start();
  } catch (error) {
    await kalisto.close().catch(() => undefined);
    await telemetry.shutdown();
    throw error;
  }
  const c = context.output.colors;
  const started = describeStarted(relay);
  const signal = firstSignal((again) => {
    context.output.note(`${again} again: exiting without waiting.`);
    process.exit(EXIT.failure);
  });
  context.output.result(started, () =>
    [
      `${c.green('✓')} Relay started (pid ${started.pid})`,
      ...started.listeners.map(
        (l) =>
          `  ${l.name.padEnd(12)} ${l.protocol.padEnd(4)} ${`${l.host}:${l.port}`.padEnd(21)} ${l.mode}, tls ${l.tls}`,
      ),
      ...(started.admin ? [`  ${'admin'.padEnd(12)} http ${started.admin.host}:${started.admin.port}`] : []),
      `  queue: ${started.queue}. Stop with SIGTERM or Ctrl-C.`,
    ].join('\n'),
  );
  const received = await signal;
  context.output.note(`${received}: stopping (messages in flight may finish).`);
  try {
    await relay.stop();
  } finally {
    await kalisto.close().catch(() => undefined);
    await telemetry.shutdown();
  }
  context.output.note('Relay stopped.');
  return EXIT.ok;
}

/** Longest password read from standard input (a relay password is a line, not a file). */
const MAX_PASSWORD_BYTES = 4096;

/** Reads one line from a pipe or file on standard input. */
async function passwordFromPipe(stdin: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stdin) {
    text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (text.includes('\n') || text.length > MAX_PASSWORD_BYTES) break;
  }
  const line = text.split(/\r?\n/, 1)[0] ?? '';
  if (line.length > MAX_PASSWORD_BYTES) throw usageError('The password on standard input is too long.');
  return line;
}

type RawTty = NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?(mode: boolean): unknown };

/** Prompts on standard error and reads a line from the terminal without echoing it. */
function promptHidden(io: CliIo, prompt: string): Promise<string> {
  const stdin = io.stdin as RawTty;
  return new Promise((resolve, reject) => {
    let typed = '';
    // Raw mode (no echo) before the prompt: an answer typed as soon as it shows is never echoed.
    stdin.setRawMode?.(true);
    stdin.resume();
    io.stderr(prompt);
    const finish = (error?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode?.(false);
      stdin.pause();
      io.stderr('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (chunk: Buffer | string) => {
      for (const char of chunk.toString()) {
        if (char === '\r' || char === '\n') return finish();
        if (char === '\u0003' || (char === '\u0004' && typed === ''))
          return finish(usageError('Cancelled; no hash was made.', 'Run kalisto relay hash-password again.'));
        if (char === '\u007f' || char === '\b') typed = typed.slice(0, -1);
        else if (char >= ' ') typed += char;
      }
    };
    stdin.on('data', onData);
  });
}

async function hashPassword(context: CliContext): Promise<ExitCode> {
  const { io } = context;
  let password: string;
  if (io.stdin.isTTY) {
    password = await promptHidden(io, 'Relay password: ');
    const again = await promptHidden(io, 'Repeat it: ');
    if (again !== password) throw usageError('The two passwords differ; no hash was made.');
  } else {
    password = await passwordFromPipe(io.stdin);
  }
  if (password === '') {
    throw usageError(
      'No password given.',
      'Type it at the prompt, or pipe it on standard input (never as an argument: argv is visible to every user).',
    );
  }
  context.redactor.add(password);
  const { hashRelayPassword } = await import('@kalisto/relay');
  const hash = await hashRelayPassword(password);
  context.output.result({ hash }, () => hash);
  return EXIT.ok;
}

/** Opens the configured queue without its workers; a relay without a queue is a usage error. */
async function withQueue<T>(context: CliContext, work: (queue: DeliveryQueue) => Promise<T>): Promise<T> {
  const input = await readRelayInput(context);
  guardSecrets(context, input.config);
  const options = input.config.queue.options;
  if (options === undefined) {
    throw usageError(
      'This configuration has no queue (kalisto.relay.queue=none): nothing is ever queued.',
      'Give the --config of a relay with kalisto.relay.queue=spool or redis.',
    );
  }
  const { openDeliveryQueue } = await import('@kalisto/relay');
  const queue = await openDeliveryQueue({ ...options, logger: relayLogger(context, 'warn') });
  try {
    return await work(queue);
  } finally {
    await queue.close({ timeoutMs: 0 });
  }
}

function stateOf(message: QueuedMessage): string {
  if (message.state === 'dead') return `dead (${message.lastFailure?.deadReason ?? 'failed'})`;
  return message.inFlight ? 'delivering' : 'pending';
}

async function listQueue(context: CliContext, options: { dead?: boolean }): Promise<ExitCode> {
  const messages = await withQueue(context, (queue) =>
    queue.list(options.dead ? { state: 'dead' } : undefined),
  );
  await context.output.table(
    { messages },
    {
      head: ['ID', 'STATE', 'QUEUED', 'MAILBOX', 'TO', 'SIZE', 'ATTEMPTS', 'LAST REPLY'],
      rows: rowsOf(messages, (m) => [
        m.id,
        stateOf(m),
        formatDate(new Date(m.enqueuedAt)),
        oneLine(m.mailbox, 40),
        m.envelope.to.length === 1
          ? oneLine(m.envelope.to[0] ?? '', 40)
          : plural(m.envelope.to.length, 'recipient'),
        formatSize(m.size),
        String(m.attempts),
        oneLine(m.lastFailure?.reply ?? '-', 60),
      ]),
      empty: options.dead ? 'No dead letters.' : 'The queue is empty.',
      footer: `${plural(messages.length, 'message')}.`,
    },
  );
  return EXIT.ok;
}

async function retryMessage(context: CliContext, id: string): Promise<ExitCode> {
  await withQueue(context, (queue) => queue.retry(id));
  context.output.result({ id, retried: true }, () => `Message ${id} is due for delivery again.`);
  return EXIT.ok;
}

async function dropMessage(context: CliContext, id: string): Promise<ExitCode> {
  await withQueue(context, (queue) => queue.drop(id));
  context.output.result({ id, dropped: true }, () => `Message ${id} dropped.`);
  return EXIT.ok;
}

export function registerRelay(program: Command, runner: CommandRunner): void {
  const relay = program
    .command('relay')
    .description(
      'run the relay: SMTP/IMAP/POP3 listeners for devices and legacy apps (--config relay.properties)',
    )
    .addHelpText('after', RELAY_HELP)
    .action(runner.action(async (context) => runRelay(context)));

  relay
    .command('hash-password')
    .description(
      'hash a relay credential for kalisto.relay.user.<name>.password (read from the terminal or stdin)',
    )
    .action(runner.action(async (context) => hashPassword(context)));

  const queue = relay
    .command('queue')
    .description("administer the relay's delivery queue (same --config; no workers are started)");
  queue
    .command('list')
    .description('queued and dead messages, oldest first')
    .option('--dead', 'only the dead letters')
    .action(runner.action<{ dead?: boolean }>(async (context, options) => listQueue(context, options)));
  queue
    .command('retry')
    .description('a dead message goes back to pending with fresh attempts; a pending one becomes due now')
    .argument('<id>', 'the id from queue list')
    .action(runner.action(async (context, _options, [id]) => retryMessage(context, String(id))));
  queue
    .command('drop')
    .description('delete a pending or dead message')
    .argument('<id>', 'the id from queue list')
    .action(runner.action(async (context, _options, [id]) => dropMessage(context, String(id))));
  // The program sets these on its commands and their subcommands; queue's are one level deeper.
  for (const sub of queue.commands) sub.exitOverride().configureOutput(program.configureOutput());
}
