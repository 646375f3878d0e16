import { redactIssue } from '../config/redaction.js';
import type { Secret } from '../config/secret.js';
import type { ClaimsFinding, TokenClaimsSummary } from '../token/claims.js';

const BRAND = Symbol.for('kalisto.error');

export interface KalistoErrorOptions {
  /** Stable, machine-readable code callers branch on (e.g. `TOKEN_INVALID_CLIENT_SECRET`). */
  code: string;
  /** What the user should do, in words. */
  hint?: string;
  cause?: unknown;
}

/** Base of every error Kalisto throws. Messages never contain a secret or a token. */
export class KalistoError extends Error {
  readonly code: string;
  readonly hint: string | undefined;

  constructor(message: string, options: KalistoErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KalistoError';
    this.code = options.code;
    this.hint = options.hint;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /**
   * A plain object for logs and `--json` output: name, code, message, hint and the subclass's fields.
   * The `cause` is left out: it is foreign and may hold anything.
   */
  toJSON(): Record<string, unknown> {
    return { ...Object.fromEntries(Object.entries(this)), name: this.name, message: this.message };
  }
}

/** True for errors from any installed copy of `@kalisto/core`. */
export function isKalistoError(value: unknown): value is KalistoError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

export interface ConfigIssue {
  /** The property at fault, e.g. `mail.imap.port`. */
  property: string;
  /** The value as given, with secrets redacted; absent when the property is missing. */
  value?: string;
  /** What was expected, e.g. `a port number 1-65535`. */
  expected: string;
}

/** `text` with control characters (C0, DEL, C1) as `\uXXXX`: input echoed in a message cannot drive a terminal. */
function printable(text: string): string {
  return text.replace(
    /[\u0000-\u001f\u007f-\u009f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

export interface ConfigErrorOptions extends Partial<KalistoErrorOptions> {
  /**
   * The configuration's secret values: an issue value that contains one is shown as `***`. Secret
   * properties, near misses of them and values holding `<secret property>=` are redacted anyway.
   */
  secrets?: Iterable<string | Secret | undefined>;
}

/**
 * One error naming every bad property of a configuration at once. Issue values are shown redacted
 * (see {@link ConfigErrorOptions.secrets}) and cut to 256 characters; `issues` holds them as shown.
 */
export class ConfigError extends KalistoError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], options: ConfigErrorOptions = {}) {
    const { secrets, ...rest } = options;
    const known: string[] = [];
    for (const secret of secrets ?? []) {
      const value = typeof secret === 'string' || secret === undefined ? secret : secret.reveal();
      if (value !== undefined) known.push(value);
    }
    const shown = issues.map((issue) => redactIssue(issue, known));
    const lines = shown.map((i) =>
      printable(
        `  - ${i.property}${i.value === undefined ? '' : ` = ${JSON.stringify(i.value)}`}: expected ${i.expected}`,
      ),
    );
    super(
      `Invalid Kalisto configuration (${shown.length} ${shown.length === 1 ? 'problem' : 'problems'}):\n${lines.join('\n')}`,
      { code: 'CONFIG_INVALID', hint: 'Fix the properties listed above.', ...rest },
    );
    this.name = 'ConfigError';
    this.issues = shown;
  }
}

export interface TokenErrorOptions extends KalistoErrorOptions {
  /** The AADSTS number from Microsoft's identity platform, e.g. `7000215`. */
  aadsts?: string;
  /** The OAuth2 `error` field, e.g. `invalid_client`. */
  oauthError?: string;
  traceId?: string;
  correlationId?: string;
  status?: number;
  /** Worth retrying: network failure, 5xx, 429. */
  transient?: boolean;
  /** Server-suggested wait before a retry (Retry-After), in ms. */
  retryAfterMs?: number;
  /** The token provider's name, e.g. `msal`. */
  provider?: string;
  /** The identity platform's `error_description`, scrubbed of anything token-like. */
  description?: string;
}

/** Obtaining a token failed. */
export class TokenError extends KalistoError {
  readonly aadsts: string | undefined;
  readonly oauthError: string | undefined;
  readonly traceId: string | undefined;
  readonly correlationId: string | undefined;
  readonly status: number | undefined;
  readonly transient: boolean;
  readonly retryAfterMs: number | undefined;
  readonly provider: string | undefined;
  readonly description: string | undefined;

  constructor(message: string, options: TokenErrorOptions) {
    super(message, options);
    this.name = 'TokenError';
    this.aadsts = options.aadsts;
    this.oauthError = options.oauthError;
    this.traceId = options.traceId;
    this.correlationId = options.correlationId;
    this.status = options.status;
    this.transient = options.transient ?? false;
    this.retryAfterMs = options.retryAfterMs;
    this.provider = options.provider;
    this.description = options.description;
  }
}

export interface AuthenticationErrorOptions extends KalistoErrorOptions {
  protocol: string;
  /** The server's reply text, e.g. `NO AUTHENTICATE failed.` (never contains the token). */
  serverText?: string;
  /** Unverified summary of the token that was refused. */
  claims?: TokenClaimsSummary;
  findings?: readonly ClaimsFinding[];
  /** Server-suggested wait (throttling), in ms. */
  retryAfterMs?: number;
  /** Worth retrying on a new connection with a fresh token (e.g. `AccessTokenExpired` mid-session). */
  transient?: boolean;
}

/** A mail server refused the token (or the identity behind it). */
export class AuthenticationError extends KalistoError {
  readonly protocol: string;
  readonly serverText: string | undefined;
  readonly claims: TokenClaimsSummary | undefined;
  readonly findings: readonly ClaimsFinding[];
  readonly retryAfterMs: number | undefined;
  readonly transient: boolean;

  constructor(message: string, options: AuthenticationErrorOptions) {
    super(message, options);
    this.name = 'AuthenticationError';
    this.protocol = options.protocol;
    this.serverText = options.serverText;
    this.claims = options.claims;
    this.findings = options.findings ?? [];
    this.retryAfterMs = options.retryAfterMs;
    this.transient = options.transient ?? false;
  }
}

export interface ConnectionErrorOptions extends KalistoErrorOptions {
  protocol?: string;
  host?: string;
  port?: number;
  transient?: boolean;
  retryAfterMs?: number;
}

/** The network, TLS or protocol conversation failed (not an authentication decision). */
export class ConnectionError extends KalistoError {
  readonly protocol: string | undefined;
  readonly host: string | undefined;
  readonly port: number | undefined;
  readonly transient: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: ConnectionErrorOptions) {
    super(message, options);
    this.name = 'ConnectionError';
    this.protocol = options.protocol;
    this.host = options.host;
    this.port = options.port;
    this.transient = options.transient ?? true;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** A cache backend failed; the token manager carries on without the cache. */
export class CacheError extends KalistoError {
  /** The backend's name, e.g. `redis`. */
  readonly backend: string;

  constructor(message: string, options: KalistoErrorOptions & { backend: string }) {
    super(message, options);
    this.name = 'CacheError';
    this.backend = options.backend;
  }
}
