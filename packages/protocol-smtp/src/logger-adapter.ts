/**
 * nodemailer logs bunyan-style (`logger.info(data, 'format %s', arg)`) at six levels; Kalisto's
 * logger is pino-shaped (`info(obj, msg)`) with four. The session's logger redacts before anything
 * is written, and nodemailer already hides the AUTH line, so SMTP traffic may go through it.
 */
import { format } from 'node:util';
import type { Logger } from '@kalisto/core';
import type { SMTPConnectionOptions } from 'nodemailer';

/** nodemailer's bunyan-compatible logger interface. */
export type NodemailerLogger = Exclude<SMTPConnectionOptions['logger'], boolean | undefined>;

const LEVELS: Readonly<Record<string, keyof Omit<Logger, 'child'>>> = {
  trace: 'debug',
  debug: 'debug',
  info: 'info',
  warn: 'warn',
  error: 'error',
  fatal: 'error',
};

/** A nodemailer logger writing to `logger` (for `mail.debug`). */
export function nodemailerLogger(logger: Logger): NodemailerLogger {
  const adapter: NodemailerLogger = {};
  for (const [level, target] of Object.entries(LEVELS)) {
    adapter[level] = (data: unknown, message?: unknown, ...args: unknown[]) => {
      const fields = typeof data === 'object' && data !== null ? data : {};
      const text = typeof data === 'string' ? format(data, message, ...args) : format(message ?? '', ...args);
      logger[target](fields, text);
    };
  }
  return adapter;
}
