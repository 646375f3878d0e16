/** The options of `connectPop3()`, their defaults, and how `mail.<protocol>.*` settings map onto them. */
import type { KalistoTelemetry, Logger, ProtocolSettings, ResolvedConfig } from '@kalisto/core';
import type { SaslMechanism } from '@kalisto/core/plugin';
import { DEFAULT_MAX_LINE_LENGTH, DEFAULT_MAX_RESPONSE_BYTES } from './response-parser.js';

/** Options of {@link connectPop3}. Only `host` is required. */
export interface Pop3ConnectOptions {
  /** Server host name or address. */
  host: string;
  /** Server port. Default 995 with `secure`, else 110. */
  port?: number;
  /** Implicit TLS from the first byte (pop3s, port 995). Default `true`. */
  secure?: boolean;
  /** On a plain connection, upgrade with STLS (RFC 2595) when the server offers it. Default `true`. */
  starttls?: boolean;
  /** Fail when a plain connection cannot be upgraded. Default: `true` unless `allowInsecureAuth`. */
  starttlsRequired?: boolean;
  /** Allow sending the token over an unencrypted connection (trusted test servers only). Default `false`. */
  allowInsecureAuth?: boolean;
  /** Extra CA certificates (PEM) trusted besides Node's built-in roots. */
  ca?: string | readonly string[];
  /** Lowest TLS version accepted. Default `TLSv1.2`. */
  minTlsVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  /** TLS SNI and the name the certificate must carry. Default: `host` when it is a name, not an address. */
  servername?: string;
  /**
   * Check that the certificate names the host. Default `true`. `false` still verifies the chain
   * against the trusted CAs; it only skips the name (`mail.<p>.ssl.checkserveridentity=false`).
   */
  checkServerIdentity?: boolean;
  /** Time allowed for the TCP connect, the TLS handshake and the greeting (and STLS), ms. Default 30000. */
  connectionTimeoutMs?: number;
  /** Time allowed for the server to go silent while a reply is expected, ms. Default 300000. */
  timeoutMs?: number;
  /** SASL mechanisms in order of preference; the first the server offers is used. Default `['XOAUTH2']`. */
  saslMechanisms?: readonly SaslMechanism[];
  /** Longest status line accepted, bytes. Default 8192. */
  maxLineLength?: number;
  /**
   * The most of one reply the client holds in memory, bytes (`mail.<p>.maxResponseBytes`): a
   * multi-line listing (CAPA, LIST, UIDL, TOP) and any single line, a line of a message body
   * included. A larger reply fails with `POP3_RESPONSE_TOO_LARGE` and closes the connection, so a
   * hostile or broken server cannot grow the process. Message bodies from `retr()` stream and are
   * not bounded by it (only their lines are). Default 16 MiB.
   */
  maxResponseBytes?: number;
  /**
   * The largest message `retrBuffer`, `retrMany` and `download` hold in memory, bytes. A larger one
   * fails with `POP3_MESSAGE_TOO_LARGE` and closes the connection; `retr()` streams a message of any
   * size. Default 256 MiB (Exchange Online accepts messages up to 150 MB).
   */
  maxMessageBytes?: number;
  /** Commands in flight at once when pipelining (`retrMany`, `download`). Default 32. */
  pipelineWindow?: number;
  /**
   * An HTTP CONNECT proxy, `http://[user:password@]host:port` (`mail.<p>.proxy.host`/`.port`/`.url`).
   * TLS still runs end to end with the mail server, verified as without a proxy.
   */
  proxy?: string;
  /** Label of errors and logs, e.g. `pop3s`. Default `pop3s` with `secure`, else `pop3`. */
  protocol?: string;
  /** A pino-shaped logger for command verbs (never arguments of AUTH). Default silent. */
  logger?: Logger;
  /** Aborts the connection attempt. */
  signal?: AbortSignal;
  /**
   * Where command durations and the TLS and SASL spans go (the providers pass `context.telemetry`).
   * Default: nothing is recorded.
   */
  telemetry?: KalistoTelemetry;
}

/** Options with every default applied. */
export type ResolvedPop3Options = Required<
  Omit<Pop3ConnectOptions, 'ca' | 'servername' | 'proxy' | 'logger' | 'signal' | 'telemetry'>
> &
  Pick<Pop3ConnectOptions, 'ca' | 'servername' | 'proxy' | 'logger' | 'signal' | 'telemetry'>;

/** The defaults, as data. */
export const POP3_DEFAULTS = {
  securePort: 995,
  plainPort: 110,
  connectionTimeoutMs: 30_000,
  timeoutMs: 300_000,
  minTlsVersion: 'TLSv1.2',
  saslMechanisms: ['XOAUTH2'],
  maxLineLength: DEFAULT_MAX_LINE_LENGTH,
  maxResponseBytes: DEFAULT_MAX_RESPONSE_BYTES,
  maxMessageBytes: 256 * 1024 * 1024,
  pipelineWindow: 32,
} as const;

/** Applies the defaults. */
export function resolvePop3Options(options: Pop3ConnectOptions): ResolvedPop3Options {
  const secure = options.secure ?? true;
  const allowInsecureAuth = options.allowInsecureAuth ?? false;
  return {
    ...options,
    host: options.host,
    port: options.port ?? (secure ? POP3_DEFAULTS.securePort : POP3_DEFAULTS.plainPort),
    secure,
    starttls: options.starttls ?? true,
    starttlsRequired: options.starttlsRequired ?? !allowInsecureAuth,
    allowInsecureAuth,
    minTlsVersion: options.minTlsVersion ?? POP3_DEFAULTS.minTlsVersion,
    checkServerIdentity: options.checkServerIdentity ?? true,
    connectionTimeoutMs: options.connectionTimeoutMs ?? POP3_DEFAULTS.connectionTimeoutMs,
    timeoutMs: options.timeoutMs ?? POP3_DEFAULTS.timeoutMs,
    saslMechanisms: options.saslMechanisms ?? POP3_DEFAULTS.saslMechanisms,
    maxLineLength: options.maxLineLength ?? POP3_DEFAULTS.maxLineLength,
    maxResponseBytes: options.maxResponseBytes ?? POP3_DEFAULTS.maxResponseBytes,
    maxMessageBytes: options.maxMessageBytes ?? POP3_DEFAULTS.maxMessageBytes,
    pipelineWindow: Math.max(1, options.pipelineWindow ?? POP3_DEFAULTS.pipelineWindow),
    protocol: options.protocol ?? (secure ? 'pop3s' : 'pop3'),
  };
}

const KNOWN_MECHANISMS: readonly string[] = ['XOAUTH2', 'OAUTHBEARER'];

/** The connect options a session's `mail.<protocol>.*` settings and `kalisto.*` properties call for. */
export function pop3OptionsFromSettings(
  settings: ProtocolSettings,
  config: Pick<ResolvedConfig, 'tlsCa' | 'allowInsecureAuth'>,
): Pop3ConnectOptions {
  const mechanisms = settings.saslMechanisms.filter((m): m is SaslMechanism => KNOWN_MECHANISMS.includes(m));
  return {
    host: settings.host,
    port: settings.port,
    secure: settings.ssl,
    starttls: settings.starttls,
    starttlsRequired: settings.starttlsRequired,
    allowInsecureAuth: config.allowInsecureAuth,
    ...(config.tlsCa === undefined ? {} : { ca: config.tlsCa }),
    ...(settings.proxy === undefined ? {} : { proxy: settings.proxy }),
    minTlsVersion: settings.minTlsVersion,
    checkServerIdentity: settings.checkServerIdentity,
    connectionTimeoutMs: settings.connectionTimeoutMs,
    timeoutMs: settings.timeoutMs,
    maxResponseBytes: settings.maxResponseBytes,
    saslMechanisms: mechanisms.length > 0 ? mechanisms : POP3_DEFAULTS.saslMechanisms,
    protocol: settings.protocol,
  };
}
