import { isKalistoError } from '@kalisto/core';

/** The exit codes of every command (also listed by `kalisto --help` and the README). */
export const EXIT = {
  /** Everything worked. */
  ok: 0,
  /** Something else failed (a check, a missing message, an unexpected error). */
  failure: 1,
  /** The command line or the configuration is wrong. */
  usage: 2,
  /** The identity platform refused a token, or a mail server refused the identity. */
  auth: 3,
  /** A network, TLS or protocol failure reaching a server. */
  connection: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The help text's table of exit codes. */
export const EXIT_CODES_HELP = `Exit codes:
  0  ok
  1  failure (a doctor check, a missing message, an unexpected error)
  2  usage or configuration error
  3  authentication or token error (identity platform or mail server refused)
  4  connection error (DNS, TCP, TLS, server conversation)`;

/** The exit code of each Kalisto error class (a subclass counts as its base class). */
const BY_CLASS: Readonly<Record<string, ExitCode>> = {
  ConfigError: EXIT.usage,
  TokenError: EXIT.auth,
  AuthenticationError: EXIT.auth,
  ConnectionError: EXIT.connection,
};

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
  const own = BY_CLASS[error.name];
  if (own !== undefined) return own;
  for (let proto = Object.getPrototypeOf(error); proto && proto !== Error.prototype; ) {
    const code = BY_CLASS[(proto.constructor as { name?: string } | undefined)?.name ?? ''];
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
 * The exit code an error means: by the class of the outermost Kalisto error (a foreign error
 * wrapping one counts as it), a network failure that escaped unwrapped is a connection error,
 * anything else a plain failure.
 */
export function exitCodeFor(error: unknown): ExitCode {
  for (const link of causeChain(error)) {
    if (!isKalistoError(link)) continue;
    return classExitCode(link) ?? (link.code === 'CLI_USAGE' ? EXIT.usage : EXIT.failure);
  }
  for (const link of causeChain(error)) if (isNetworkFailure(link)) return EXIT.connection;
  return EXIT.failure;
}
