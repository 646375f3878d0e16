import { createRedactor, type Redactor } from '../logging/redactor.js';
import { isTransientError } from '../token/retry.js';
import { CacheError, ConnectionError, isKalistoError, TokenError } from './errors.js';

/** The three kinds of plugin; the label `[kind:name]` prefixes every message a plugin's failure produces. */
export type PluginKind = 'cache' | 'token' | 'protocol';

/** Where a failure happened, for {@link wrapPluginError}. */
export interface PluginFailure {
  kind: PluginKind;
  /** The plugin's name: backend name, token provider name or protocol. */
  name: string;
  /** What was being done, e.g. `Reading the cache`. */
  action: string;
  /** Scrubs known secrets from the message and cause (credential-looking strings always are). */
  redactor?: Redactor;
  /** For protocol failures: where the connection went. */
  host?: string;
  port?: number;
}

/**
 * Turns anything a plugin throws into the matching Kalisto error — CacheError, TokenError or
 * ConnectionError — prefixed `[kind:name]`, marked transient when it is a network failure, with the
 * original as `cause` (a redacted copy if its text held a secret). Kalisto errors and aborts pass through.
 */
export function wrapPluginError(error: unknown, failure: PluginFailure): unknown {
  if (isKalistoError(error) || isAbort(error)) return error;
  const redactor = failure.redactor ?? createRedactor();
  const detail = redactor.text(error instanceof Error ? error.message : String(error));
  // A cache driver's error may carry the command and its arguments (cached values): only its gist is kept.
  const cause = failure.kind === 'cache' ? scrubbedError(error, redactor) : sanitizeCause(error, redactor);
  const label = `[${failure.kind}:${failure.name}]`;
  const transient = isTransientError(error);
  switch (failure.kind) {
    case 'cache':
      return new CacheError(
        `${label} ${failure.action} failed: ${detail}. Check that the cache is reachable; tokens keep coming from the identity platform meanwhile.`,
        { code: 'CACHE_UNAVAILABLE', backend: failure.name, cause },
      );
    case 'token':
      return new TokenError(`${label} ${failure.action} failed: ${detail}`, {
        code: transient ? 'TOKEN_NETWORK' : 'TOKEN_PROVIDER_FAILED',
        provider: failure.name,
        transient,
        cause,
        hint: transient
          ? 'Check network access to the identity platform (o365.oauth.authority, kalisto.oauth.proxy).'
          : 'See the cause; report it to the token provider plugin if it is not a configuration problem.',
      });
    case 'protocol':
      return new ConnectionError(`${label} ${failure.action} failed: ${detail}`, {
        code: 'CONNECTION_FAILED',
        protocol: failure.name,
        ...(failure.host === undefined ? {} : { host: failure.host }),
        ...(failure.port === undefined ? {} : { port: failure.port }),
        transient,
        cause,
        hint: 'Check the host, port and TLS settings of this protocol (mail.<protocol>.*).',
      });
  }
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

/** The error itself when its text is clean; otherwise a copy with the secrets scrubbed (no leaky `cause`). */
function sanitizeCause(error: unknown, redactor: Redactor): unknown {
  if (!(error instanceof Error)) return redactor.text(String(error));
  const message = redactor.text(error.message);
  const stack = error.stack === undefined ? undefined : redactor.text(error.stack);
  if (message === error.message && stack === error.stack) return error;
  const copy = new Error(message);
  copy.name = error.name;
  copy.stack = stack;
  const code = (error as { code?: unknown }).code;
  if (code !== undefined) Object.assign(copy, { code });
  return copy;
}

/**
 * For plugins wrapping a library's error as a `cause`: a new Error with only the original's name, the
 * first line of its message (redacted, at most 200 characters) and its string `code` — never the
 * objects a driver attaches (a Redis client's `command.args` hold the values being cached).
 */
export function scrubbedError(error: unknown, redactor: Redactor = createRedactor()): Error {
  const source = error instanceof Error ? error : new Error(String(error));
  const line = redactor.text(source.message).split('\n', 1)[0] ?? '';
  const copy = new Error(line.length > 200 ? `${line.slice(0, 200)}…` : line);
  copy.name = source.name;
  const code = (source as { code?: unknown }).code;
  if (typeof code === 'string') Object.assign(copy, { code });
  return copy;
}

/** The secrets of a configuration, for a plugin's redactor. */
