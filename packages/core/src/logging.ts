import type { Logger } from './logger.js';
import { isSecret, type Secret } from './secret.js';

const REDACTED = '***';

/** A logger that drops everything: Kalisto's default. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
};

// Strings that are credentials whatever their source: a bearer token, a JWT, a SASL XOAUTH2
// (`user=…` in base64) or OAUTHBEARER (`n,a=…`/`n,,…` in base64) payload, and credentials in a form body or query.
const CREDENTIAL_PATTERNS: ReadonlyArray<[RegExp, string]> = [
  [/\b(Bearer\s+)[A-Za-z0-9\-._~+/]+=*/gi, `$1${REDACTED}`],
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, REDACTED],
  [/\b(?:dXNlcj|bixhP|biws)[A-Za-z0-9+/]{8,}={0,2}/g, REDACTED],
  [
    /\b(client_secret|client_assertion|assertion|password|access_token|refresh_token|id_token)=[^&\s"']+/gi,
    `$1=${REDACTED}`,
  ],
];

// Object keys whose string values are always credentials.
const SECRET_KEY = /(?:pass(?:word|wd)?|secret|token|authorization|assertion|private_?key|cookie)$/i;

/** Known secrets shorter than this are not scrubbed: replacing "ab" everywhere would garble logs. */
export const MIN_REDACTED_LENGTH = 4;
const MAX_EPHEMERAL = 64;
const MAX_DEPTH = 8;

/** Scrubs known secret values and credential-looking strings out of text and log objects. */
export interface Redactor {
  /**
   * Scrub this value from now on. `ephemeral` values (access tokens) are kept in a bounded set,
   * the oldest forgotten first, so a long-lived session does not grow without bound.
   */
  add(secret: string | Secret | undefined, options?: { ephemeral?: boolean }): void;
  /** `text` with every known secret and credential-looking string replaced by `***`. */
  text(text: string): string;
  /** A redacted copy of a log object: errors become plain objects, `Secret`s and secret-named keys `***`. */
  value(value: unknown): unknown;
}

/** A redactor that knows `secrets` (plain strings or `Secret`s; undefined entries are ignored). */
export function createRedactor(secrets: Iterable<string | Secret | undefined> = []): Redactor {
  const fixed = new Set<string>();
  const ephemeral = new Set<string>();

  const add: Redactor['add'] = (secret, options) => {
    const value = isSecret(secret) ? secret.reveal() : secret;
    if (value === undefined || value.length < MIN_REDACTED_LENGTH || fixed.has(value)) return;
    if (!options?.ephemeral) {
      fixed.add(value);
      return;
    }
    ephemeral.delete(value);
    ephemeral.add(value);
    if (ephemeral.size > MAX_EPHEMERAL) ephemeral.delete(ephemeral.values().next().value as string);
  };

  const text = (input: string): string => {
    let out = input;
    for (const known of [fixed, ephemeral]) {
      for (const secret of known) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    }
    for (const [pattern, replacement] of CREDENTIAL_PATTERNS) out = out.replace(pattern, replacement);
    return out;
  };

  const value = (input: unknown, depth = 0, seen = new WeakSet<object>()): unknown => {
    if (typeof input === 'string') return text(input);
    if (typeof input !== 'object' || input === null) return input;
    if (isSecret(input)) return REDACTED;
    if (seen.has(input)) return '[Circular]';
    if (depth >= MAX_DEPTH) return '[Object]';
    seen.add(input);
    if (Buffer.isBuffer(input) || ArrayBuffer.isView(input)) return `[${input.byteLength} bytes]`;
    if (input instanceof Date) return input.toISOString();
    if (Array.isArray(input)) return input.map((item) => value(item, depth + 1, seen));
    const source = input instanceof Error ? errorFields(input) : (input as Record<string, unknown>);
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(source)) {
      out[key] =
        SECRET_KEY.test(key) && (typeof item === 'string' || isSecret(item))
          ? REDACTED
          : value(item, depth + 1, seen);
    }
    return out;
  };

  for (const secret of secrets) add(secret);
  return { add, text, value: (input) => value(input) };
}

/** An error as a plain object: pino-style `type`/`message`/`stack`, its own fields, and its cause. */
function errorFields(error: Error): Record<string, unknown> {
  const fields: Record<string, unknown> = { type: error.name, message: error.message };
  for (const [key, item] of Object.entries(error)) fields[key] = item;
  if (error.stack !== undefined) fields.stack = error.stack;
  if (error.cause !== undefined) fields.cause = error.cause;
  return fields;
}

/** A redacted copy of `value` that also scrubs the given secrets (one-off; prefer a {@link Redactor}). */
export function redactSecrets(value: unknown, secrets: Iterable<string | Secret | undefined> = []): unknown {
  return createRedactor(secrets).value(value);
}

/**
 * Wraps `logger` so every object, message and child binding passes through the redactor first:
 * redaction at the source, whatever the logger does afterwards.
 */
export function withRedaction(
  logger: Logger,
  secrets: Redactor | Iterable<string | Secret | undefined> = [],
): Logger {
  const redactor = isRedactor(secrets) ? secrets : createRedactor(secrets);
  const forward =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (obj: object, msg?: string): void => {
      const safe = (typeof obj === 'string' ? redactor.text(obj) : redactor.value(obj)) as object;
      if (msg === undefined) logger[level](safe);
      else logger[level](safe, redactor.text(msg));
    };
  return {
    debug: forward('debug'),
    info: forward('info'),
    warn: forward('warn'),
    error: forward('error'),
    child: (bindings) => withRedaction(childOf(logger, redactor.value(bindings) as object), redactor),
  };
}

/** The Kalisto-side logger around an injected pino-shaped one (silent when none): redacts at the source. */
export function createLogger(
  base: Logger | undefined,
  secrets: Redactor | Iterable<string | Secret | undefined> = [],
): Logger {
  return withRedaction(base ?? silentLogger, secrets);
}

function isRedactor(value: unknown): value is Redactor {
  return typeof value === 'object' && value !== null && typeof (value as Redactor).text === 'function';
}

/** `logger.child(bindings)`, or for a logger without `child`, one that adds the bindings to each object. */
function childOf(logger: Logger, bindings: object): Logger {
  if (logger.child) return logger.child(bindings);
  const merge =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (obj: object, msg?: string): void =>
      logger[level]({ ...bindings, ...obj }, msg);
  return { debug: merge('debug'), info: merge('info'), warn: merge('warn'), error: merge('error') };
}

/** Levels of {@link consoleLogger}, least severe first; `silent` writes nothing. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const LEVELS: Record<LogLevel, number> = {
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  silent: Number.POSITIVE_INFINITY,
};

export interface ConsoleLoggerOptions {
  /** The least severe level written (default `info`); `silent` writes nothing. */
  level?: LogLevel;
  /** Where lines go (default: standard error, so standard output stays the command's result). */
  write?: (line: string) => void;
}

/**
 * A small pino-shaped logger for the CLI: one line per call, `LEVEL message {fields}`.
 * Wrap it (createKalisto does) so what it prints is redacted.
 */
export function consoleLogger(options: ConsoleLoggerOptions = {}, bindings: object = {}): Logger {
  const threshold = LEVELS[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const emit =
    (level: Exclude<LogLevel, 'silent'>) =>
    (obj: object, msg?: string): void => {
      if (LEVELS[level] < threshold) return;
      const fields = typeof obj === 'string' ? {} : { ...bindings, ...obj };
      const text = typeof obj === 'string' ? obj : (msg ?? '');
      const tail = Object.keys(fields).length > 0 ? ` ${safeJson(fields)}` : '';
      write(`${level.toUpperCase()} ${text}${tail}\n`);
    };
  return {
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    child: (more) => consoleLogger(options, { ...bindings, ...more }),
  };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return '[unserialisable]';
  }
}
