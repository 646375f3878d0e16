/**
 * Stack traces in log lines only with `--debug`: at other levels a logged error keeps its type,
 * message, code and causes — what a user acts on — and loses the stack, as the README promises.
 */
import type { Logger } from '@kalisto/core';

const MAX_DEPTH = 8;

/** `value` without the `stack` of any error in it (errors as the redacting logger passes them on: plain objects). */
export function withoutStack(value: unknown, depth = 0): unknown {
  if (typeof value !== 'object' || value === null || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) return value.map((item) => withoutStack(item, depth + 1));
  const isError = value instanceof Error || typeof (value as { message?: unknown }).message === 'string';
  const entries = Object.entries(value).filter(([key]) => !(isError && key === 'stack'));
  if (value instanceof Error) entries.unshift(['type', value.name], ['message', value.message]);
  return Object.fromEntries(entries.map(([key, item]) => [key, withoutStack(item, depth + 1)]));
}

/** `logger` writing every logged object without stacks (see {@link withoutStack}). */
export function withoutStacks(logger: Logger): Logger {
  const forward =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (obj: object, msg?: string): void => {
      const kept = (typeof obj === 'string' ? obj : withoutStack(obj)) as object;
      if (msg === undefined) logger[level](kept);
      else logger[level](kept, msg);
    };
  return {
    debug: forward('debug'),
    info: forward('info'),
    warn: forward('warn'),
    error: forward('error'),
    child: (bindings) =>
      withoutStacks(
        logger.child?.(bindings) ?? {
          debug: (obj, msg) => logger.debug({ ...bindings, ...obj }, msg),
          info: (obj, msg) => logger.info({ ...bindings, ...obj }, msg),
          warn: (obj, msg) => logger.warn({ ...bindings, ...obj }, msg),
          error: (obj, msg) => logger.error({ ...bindings, ...obj }, msg),
        },
      ),
  };
}
