import { isKalistoError, KalistoError } from '@kalisto/core';
import type { Redactor } from '@kalisto/core/plugin';

/** A mistake on the command line (missing option, bad value): exit code 2. */
export function usageError(message: string, hint?: string): KalistoError {
  return new KalistoError(message, { code: 'CLI_USAGE', hint: hint ?? 'Run kalisto <command> --help.' });
}

/** An error as the CLI shows it: one paragraph (message, then the fix unless the message has it). */
export function describeError(error: unknown): {
  code: string | undefined;
  message: string;
  hint: string | undefined;
} {
  if (isKalistoError(error)) {
    const hint = error.hint !== undefined && !error.message.includes(error.hint) ? error.hint : undefined;
    return { code: error.code, message: error.message, hint };
  }
  return {
    code: undefined,
    message: error instanceof Error ? error.message : String(error),
    hint: undefined,
  };
}

export interface FormatErrorOptions {
  /** Add the stack (and causes) for `--debug`. */
  debug: boolean;
  /** Scrubs known secrets and credential-looking text from everything printed. */
  redactor: Redactor;
}

/** The text printed on standard error for a failed command. */
export function formatError(error: unknown, options: FormatErrorOptions): string {
  const { code, message, hint } = describeError(error);
  const paragraph = [`error: ${message}`, hint, code === undefined ? undefined : `(${code})`]
    .filter((part) => part !== undefined)
    .join(' ');
  const lines = [paragraph];
  if (options.debug) {
    let current: unknown = error;
    for (let depth = 0; current instanceof Error && depth < 5; depth += 1) {
      lines.push(depth === 0 ? (current.stack ?? '') : `caused by: ${current.stack ?? current.message}`);
      current = current.cause;
    }
  } else if (!isKalistoError(error)) {
    lines.push('Run with --debug for the stack trace.');
  }
  return `${options.redactor.text(lines.join('\n'))}\n`;
}

/** The JSON document printed for a failed command under `--json`. */
export function errorJson(error: unknown, exitCode: number, redactor: Redactor): string {
  const { code, message } = describeError(error);
  const hint = isKalistoError(error) ? error.hint : undefined;
  const name = error instanceof Error ? error.name : 'Error';
  const document = { ok: false, exitCode, error: { name, code, message, hint } };
  return `${redactor.text(JSON.stringify(document, null, 2))}\n`;
}
