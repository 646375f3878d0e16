/**
 * How a session's `mail.<protocol>.*` settings become nodemailer's SMTP transport options: TLS,
 * timeouts, proxy, EHLO name and the connection pool. Pure: no sockets, no tokens.
 */
import type { ProtocolSettings, ResolvedConfig } from '@kalisto/core';
import { trustedSecureContext } from '@kalisto/core/plugin';
import type { SMTPPoolOptions } from 'nodemailer';

/** The pool settings of one protocol; `undefined` when pooling is off. */
export interface SmtpPoolSettings {
  maxConnections: number;
  maxMessages: number;
}

/** Everything nodemailer needs except the credentials, which the provider adds. */
export type SmtpConnectionOptions = Omit<SMTPPoolOptions, 'auth'>;

/**
 * `mail.<p>.pool.enable`, `.pool.maxConnections`, `.pool.maxMessages` (core's property table
 * validates them and supplies the defaults: 3 connections, as Exchange Online allows about 3 per
 * mailbox, and 100 messages each); `undefined` unless enabled.
 */
export function poolSettings(settings: ProtocolSettings): SmtpPoolSettings | undefined {
  const property = (suffix: string) => settings.properties[`mail.${settings.protocol}.${suffix}`];
  if (property('pool.enable')?.trim().toLowerCase() !== 'true') return undefined;
  return {
    maxConnections: Number(property('pool.maxConnections') ?? 3),
    maxMessages: Number(property('pool.maxMessages') ?? 100),
  };
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
  const name = settings.properties[`mail.${settings.protocol}.localhost`]?.trim();
  return {
    host: settings.host,
    port: settings.port,
    ...tlsMode(settings),
    tls: {
      // Built once per CA and TLS floor: nodemailer hands `tls` to every `tls.connect` (implicit
      // TLS and STARTTLS), and a new pool connection would otherwise parse every root again.
      secureContext: trustedSecureContext({ ca: config.tlsCa, minVersion: settings.minTlsVersion }),
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
