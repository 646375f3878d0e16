/**
 * How a session's `mail.<protocol>.*` settings become nodemailer's SMTP transport options: TLS,
 * timeouts, proxy, EHLO name and the connection pool. Pure: no sockets, no tokens.
 */
import { rootCertificates } from 'node:tls';
import { ConfigError, type ConfigIssue, type ProtocolSettings, type ResolvedConfig } from '@kalisto/core';
import type { SMTPPoolOptions } from 'nodemailer';

/** The pool's defaults, as data. */
export const SMTP_POOL_DEFAULTS = {
  /** Exchange Online allows about 3 concurrent SMTP sessions per mailbox (a 4th gets `432 4.3.2`). */
  maxConnections: 3,
  /**
   * Messages per connection before it is replaced. A connection is authenticated once, so a long
   * run keeps one token; replacing it every 100 messages picks up a refreshed token well within
   * the token's hour at any rate Exchange accepts, and costs one login per 100 messages.
   */
  maxMessages: 100,
} as const;

/** Provider-specific properties beyond the reference table, for `mail.<protocol>.` + suffix. */
export const SMTP_PROPERTY_SUFFIXES = {
  /** `true`: keep up to `pool.maxConnections` authenticated connections open and reuse them. */
  poolEnable: 'pool.enable',
  poolMaxConnections: 'pool.maxconnections',
  poolMaxMessages: 'pool.maxmessages',
  /** The EHLO name (JavaMail's `mail.smtp.localhost`). */
  localhost: 'localhost',
} as const;

/** The pool settings of one protocol; `undefined` when pooling is off. */
export interface SmtpPoolSettings {
  maxConnections: number;
  maxMessages: number;
}

/** Everything nodemailer needs except the credentials, which the provider adds. */
export type SmtpConnectionOptions = Omit<SMTPPoolOptions, 'auth'>;

/** A property of this protocol by suffix, case-insensitively (JavaMail's names are camel-cased in places). */
function propertyOf(settings: ProtocolSettings, suffix: string): { name: string; value: string } | undefined {
  const wanted = `mail.${settings.protocol}.${suffix}`.toLowerCase();
  for (const [name, value] of Object.entries(settings.properties)) {
    if (name.toLowerCase() === wanted) return { name, value: value.trim() };
  }
  return undefined;
}

function positiveInt(
  settings: ProtocolSettings,
  suffix: string,
  fallback: number,
  issues: ConfigIssue[],
): number {
  const found = propertyOf(settings, suffix);
  if (found === undefined) return fallback;
  const value = Number(found.value);
  if (/^\d+$/.test(found.value) && Number.isSafeInteger(value) && value > 0) return value;
  issues.push({ property: found.name, value: found.value, expected: 'a whole number greater than 0' });
  return fallback;
}

function booleanProperty(settings: ProtocolSettings, suffix: string, issues: ConfigIssue[]): boolean {
  const found = propertyOf(settings, suffix);
  if (found === undefined) return false;
  const value = found.value.toLowerCase();
  if (value === 'true' || value === 'false') return value === 'true';
  issues.push({ property: found.name, value: found.value, expected: 'true or false' });
  return false;
}

/** `mail.<p>.pool.enable`, `.pool.maxConnections`, `.pool.maxMessages`; `undefined` unless enabled. */
export function poolSettings(settings: ProtocolSettings): SmtpPoolSettings | undefined {
  const issues: ConfigIssue[] = [];
  const enabled = booleanProperty(settings, SMTP_PROPERTY_SUFFIXES.poolEnable, issues);
  const pool = {
    maxConnections: positiveInt(
      settings,
      SMTP_PROPERTY_SUFFIXES.poolMaxConnections,
      SMTP_POOL_DEFAULTS.maxConnections,
      issues,
    ),
    maxMessages: positiveInt(
      settings,
      SMTP_PROPERTY_SUFFIXES.poolMaxMessages,
      SMTP_POOL_DEFAULTS.maxMessages,
      issues,
    ),
  };
  if (issues.length > 0) throw new ConfigError(issues);
  return enabled ? pool : undefined;
}

/**
 * How the connection is secured: implicit TLS (`ssl.enable`), STARTTLS that must succeed
 * (`starttls.required`, the default unless `kalisto.auth.allowInsecure`), STARTTLS when offered,
 * or — only with insecure auth allowed and STARTTLS off — none.
 */
export function tlsMode(
  settings: Pick<ProtocolSettings, 'ssl' | 'starttls' | 'starttlsRequired'>,
): Pick<SMTPPoolOptions, 'secure' | 'requireTLS' | 'ignoreTLS'> {
  if (settings.ssl) return { secure: true };
  if (settings.starttlsRequired) return { secure: false, requireTLS: true };
  if (settings.starttls) return { secure: false };
  return { secure: false, ignoreTLS: true };
}

/** nodemailer's options for one protocol's settings (without `auth` and `logger`). */
export function smtpConnectionOptions(
  settings: ProtocolSettings,
  config: Pick<ResolvedConfig, 'tlsCa'>,
): SmtpConnectionOptions {
  const pool = poolSettings(settings);
  const name = propertyOf(settings, SMTP_PROPERTY_SUFFIXES.localhost)?.value;
  return {
    host: settings.host,
    port: settings.port,
    ...tlsMode(settings),
    tls: {
      minVersion: settings.minTlsVersion,
      // `ca` replaces Node's roots, so they are listed too: the extra CA is trusted besides them.
      ...(config.tlsCa === undefined ? {} : { ca: [...rootCertificates, config.tlsCa] }),
      // Off skips only the host name check; the chain is still verified against the trusted CAs.
      ...(settings.checkServerIdentity ? {} : { checkServerIdentity: () => undefined }),
    },
    connectionTimeout: settings.connectionTimeoutMs,
    greetingTimeout: settings.connectionTimeoutMs,
    socketTimeout: settings.timeoutMs,
    ...(settings.proxy === undefined ? {} : { proxy: settings.proxy }),
    ...(name ? { name } : {}),
    ...(pool === undefined ? {} : { pool: true, ...pool }),
  };
}
