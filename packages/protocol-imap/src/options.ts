/**
 * How a session's `mail.<protocol>.*` settings and `kalisto.*` properties become ImapFlow options.
 * Pure: no socket is opened here.
 */
import { ConfigError, type Logger, type ProtocolSettings, type ResolvedConfig } from '@kalisto/core';
import { type SaslMechanism, trustedSecureContext } from '@kalisto/core/plugin';
import type { ImapFlowOptions } from 'imapflow';
import { imapflowLogger } from './logger.js';
import type { ResponseLimits } from './response-guard.js';

/** ImapFlow's own defaults where a property is absent (or 0), as data. */
export const IMAP_DEFAULTS = {
  /** `mail.<p>.connectiontimeout` absent: ImapFlow's connection budget (DNS, proxy, TCP, TLS). */
  connectionTimeoutMs: 90_000,
  /** `mail.<p>.connectiontimeout` absent: ImapFlow's greeting timeout. */
  greetingTimeoutMs: 16_000,
  /** `mail.<p>.timeout` absent: ImapFlow's socket inactivity timeout. */
  socketTimeoutMs: 300_000,
  /** `mail.<p>.sasl.mechanisms` absent or naming nothing we speak. */
  saslMechanisms: ['XOAUTH2'] as readonly SaslMechanism[],
  /** `mail.<p>.maxResponseBytes` absent: the most of one response (or folder listing) held after login. */
  maxResponseBytes: 16 * 1024 * 1024,
  /**
   * Everything the server may send before login succeeds — greeting, CAPABILITY, STARTTLS and
   * AUTHENTICATE replies, a few hundred bytes from real servers — fixed (capped by `maxResponseBytes`).
   */
  preAuthResponseBytes: 64 * 1024,
  /** The largest message body literal (FETCH BODY[]/BINARY[]/RFC822) after login: ImapFlow's own cap. */
  maxBodyLiteralBytes: 1024 * 1024 * 1024,
} as const;

const OAUTH_MECHANISMS: readonly SaslMechanism[] = ['XOAUTH2', 'OAUTHBEARER'];

/** The response bounds of a connection for these settings (`mail.<p>.maxResponseBytes`). */
export function responseLimits(settings: Pick<ProtocolSettings, 'maxResponseBytes'>): ResponseLimits {
  return {
    maxResponseBytes: settings.maxResponseBytes,
    preAuthBytes: Math.min(IMAP_DEFAULTS.preAuthResponseBytes, settings.maxResponseBytes),
    maxBodyLiteralBytes: IMAP_DEFAULTS.maxBodyLiteralBytes,
  };
}

/** The OAuth2 SASL mechanisms a configuration allows, in its order of preference. */
export function allowedMechanisms(settings: Pick<ProtocolSettings, 'saslMechanisms'>): SaslMechanism[] {
  const allowed = settings.saslMechanisms.filter((m): m is SaslMechanism =>
    (OAUTH_MECHANISMS as readonly string[]).includes(m),
  );
  return allowed.length > 0 ? allowed : [...IMAP_DEFAULTS.saslMechanisms];
}

/**
 * The transport and timeout options of an ImapFlow for these settings (no `auth`: the provider adds
 * the user and token). Throws a `ConfigError` when the token could travel unencrypted and
 * `kalisto.auth.allowInsecure` is off.
 */
export function imapFlowOptions(
  settings: ProtocolSettings,
  config: Pick<ResolvedConfig, 'tlsCa' | 'allowInsecureAuth' | 'debug'>,
  logger: Logger,
): Omit<ImapFlowOptions, 'auth'> {
  const p = `mail.${settings.protocol}`;
  if (!settings.ssl && !config.allowInsecureAuth && !(settings.starttls && settings.starttlsRequired)) {
    throw new ConfigError([
      {
        property: settings.starttls ? `${p}.starttls.required` : `${p}.ssl.enable`,
        expected: `TLS for the token: ${p}.ssl.enable=true, or ${p}.starttls.enable=true with ${p}.starttls.required=true (or kalisto.auth.allowInsecure=true for a trusted test server)`,
      },
    ]);
  }
  const secure = settings.ssl;
  const connectionTimeout = settings.connectionTimeoutMs || IMAP_DEFAULTS.connectionTimeoutMs;
  return {
    host: settings.host,
    port: settings.port,
    secure,
    // true: fail when the server offers no STARTTLS; false: stay in clear text (insecure auth only).
    ...(secure ? {} : { doSTARTTLS: settings.starttls ? settings.starttlsRequired || undefined : false }),
    tls: {
      secureContext: trustedSecureContext({ ca: config.tlsCa, minVersion: settings.minTlsVersion }),
      minVersion: settings.minTlsVersion,
      // `false` skips only the host name check: the chain is still verified against the trusted CAs.
      ...(settings.checkServerIdentity ? {} : { checkServerIdentity: () => undefined }),
    },
    connectionTimeout,
    greetingTimeout: settings.connectionTimeoutMs || IMAP_DEFAULTS.greetingTimeoutMs,
    socketTimeout: settings.timeoutMs || IMAP_DEFAULTS.socketTimeoutMs,
    ...(settings.proxy === undefined ? {} : { proxy: settings.proxy }),
    logger: config.debug ? imapflowLogger(logger) : false,
  };
}
