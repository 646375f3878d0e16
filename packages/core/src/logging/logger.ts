import type { Secret } from '../config/secret.js';
import { createRedactor, type Redactor } from './redactor.js';

/** A pino-shaped logger. Kalisto is silent unless one is injected. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child?(bindings: object): Logger;
}

/** A logger that drops everything: Kalisto's default. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
};

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
