/**
 * The exit codes of every command: one table, from which `kalisto --help`, `kalisto doctor --help`
 * and the README's table are written (a test holds the README to it), and the rules that map an
 * error to its code.
 */
import { isKalistoError } from '@kalisto/core';

/** The exit codes by name. */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  auth: 3,
  connection: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** One exit code and what it means. */
export interface ExitCodeRow {
  readonly code: ExitCode;
  /** A word or two, for one-line summaries (the root README). */
  readonly short: string;
  /** One line, for `--help`. */
  readonly help: string;
  /** The README's wording. */
  readonly meaning: string;
}

/** The exit codes, in order. */
export const EXIT_CODE_TABLE: readonly ExitCodeRow[] = [
  { code: EXIT.ok, short: 'ok', help: 'ok', meaning: 'ok' },
  {
    code: EXIT.failure,
    short: 'failure',
    help: 'failure (a missing message, a token cache failure, an unexpected error)',
    meaning: 'failure: a missing message, a token cache failure, an unexpected error',
  },
  {
    code: EXIT.usage,
    short: 'usage/config',
    help: 'usage or configuration error (unknown option, bad value, invalid properties, unknown mail.<p>.class)',
    meaning:
      'usage or configuration error: an unknown option, a bad value, invalid or incomplete properties, an unknown `mail.<p>.class` or protocol',
  },
  {
    code: EXIT.auth,
    short: 'token/auth',
    help: 'authentication or token error (the identity platform or a mail server refused)',
    meaning:
      'authentication or token error: the identity platform refused a token, or a mail server refused the identity',
  },
  {
    code: EXIT.connection,
    short: 'connection',
    help: 'connection error (DNS, TCP, TLS, the server conversation; mail servers and the identity platform)',
    meaning:
      'connection error: DNS, TCP, TLS or the server conversation, with a mail server or the identity platform (unreachable, timed out, untrusted certificate, a connection cut mid-response)',
  },
];

/** The help text's table of exit codes. */
export const EXIT_CODES_HELP = `Exit codes:\n${EXIT_CODE_TABLE.map((row) => `  ${row.code}  ${row.help}`).join('\n')}`;

/** What `kalisto doctor --help` says about its exit code. */
export const DOCTOR_EXIT_HELP = `Exit code: that of the first failed check (${EXIT_CODE_TABLE.filter(
  (row) => row.code !== EXIT.ok,
)
  .map((row) => `${row.code} ${row.short}`)
  .join(', ')}); ${EXIT.ok} when every check passes, warnings (!) included.`;

/** The root README's one-line summary: `0 ok, 1 failure, …`. */
export function exitCodesSummary(): string {
  return EXIT_CODE_TABLE.map((row) => `${row.code} ${row.short}`).join(', ');
}

/** The README's Markdown table of exit codes, padded as the formatter leaves it. */
export function exitCodesMarkdown(): string {
  const rows = [['code', 'meaning'], ...EXIT_CODE_TABLE.map((row) => [String(row.code), row.meaning])];
  const widths = [0, 1].map((column) => Math.max(...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`;
  const [header, ...body] = rows;
  return [line(header!), line(widths.map((width) => '-'.repeat(width))), ...body.map(line)].join('\n');
}

/** The exit code of each Kalisto error class (a subclass counts as its base class). */
const BY_CLASS: ReadonlyMap<string, ExitCode> = new Map([
  ['ConfigError', EXIT.usage],
  ['TokenError', EXIT.auth],
  ['AuthenticationError', EXIT.auth],
  ['ConnectionError', EXIT.connection],
]);

/**
 * Error codes whose meaning their class does not carry: the command line or the configuration
 * named something that does not exist (every provider is registered in the CLI, so a missing one
 * is a name in the configuration), and token requests that never reached the identity platform
 * (the network, a timeout, its TLS certificate) — a connection failure, as `doctor` reports it.
 */
const BY_CODE: ReadonlyMap<string, ExitCode> = new Map([
  ['CLI_USAGE', EXIT.usage],
  ['CONFIG_UNKNOWN_CLASS', EXIT.usage],
  ['REGISTRY_MISSING', EXIT.usage],
  ['PROTOCOL_WRONG_TYPE', EXIT.usage],
  ['TOKEN_NETWORK_ERROR', EXIT.connection],
  ['TOKEN_TIMEOUT', EXIT.connection],
  ['TOKEN_TLS_UNTRUSTED', EXIT.connection],
  ['TOKEN_TLS_CERT_EXPIRED', EXIT.connection],
  ['TOKEN_TLS_HOSTNAME_MISMATCH', EXIT.connection],
]);

/**
 * Codes of network failures that reach the CLI unwrapped (Node's socket and TLS errors, imapflow's
 * `NoConnection` for a connection cut mid-response, nodemailer's connection codes): exit 4 too.
 */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'NoConnection',
  'ETIMEOUT',
  'ECONNECTION',
  'ESOCKET',
  'ETLS',
  'EDNS',
]);

/** The error and its causes, outermost first (a few levels: a cause chain may be cyclic). */
function* causeChain(error: unknown): Generator<unknown> {
  let current = error;
  for (let depth = 0; depth < 8 && current !== undefined && current !== null; depth += 1) {
    yield current;
    current = (current as { cause?: unknown }).cause;
  }
}

/** The exit code of a Kalisto error's class: its own name, else the names along its prototype chain. */
function classExitCode(error: Error): ExitCode | undefined {
  const own = BY_CLASS.get(error.name);
  if (own !== undefined) return own;
  for (let proto = Object.getPrototypeOf(error); proto && proto !== Error.prototype; ) {
    const code = BY_CLASS.get((proto.constructor as { name?: string } | undefined)?.name ?? '');
    if (code !== undefined) return code;
    proto = Object.getPrototypeOf(proto);
  }
  return undefined;
}

function isNetworkFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    typeof code === 'string' &&
    (NETWORK_CODES.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_'))
  );
}

/**
 * The exit code an error means, from the outermost Kalisto error (a foreign error wrapping one
 * counts as it): its code when {@link BY_CODE} lists it, else its class; a network failure that
 * escaped unwrapped is a connection error; anything else a plain failure.
 */
export function exitCodeFor(error: unknown): ExitCode {
  for (const link of causeChain(error)) {
    if (!isKalistoError(link)) continue;
    return BY_CODE.get(link.code) ?? classExitCode(link) ?? EXIT.failure;
  }
  for (const link of causeChain(error)) if (isNetworkFailure(link)) return EXIT.connection;
  return EXIT.failure;
}
