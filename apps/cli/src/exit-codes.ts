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

/** The exit code an error means: by Kalisto error class, else a plain failure. */
export function exitCodeFor(error: unknown): ExitCode {
  if (!isKalistoError(error)) return EXIT.failure;
  switch (error.name) {
    case 'ConfigError':
      return EXIT.usage;
    case 'TokenError':
    case 'AuthenticationError':
      return EXIT.auth;
    case 'ConnectionError':
      return EXIT.connection;
    default:
      return error.code === 'CLI_USAGE' ? EXIT.usage : EXIT.failure;
  }
}
