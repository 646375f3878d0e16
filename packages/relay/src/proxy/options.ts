/**
 * The options of the IMAP and POP3 listeners, their defaults (as data) and the checks that turn a
 * wrong option into a `ConfigError` naming it before anything listens.
 */
import { isIP } from 'node:net';
import { ConfigError, type ConfigIssue, type KalistoSession, type Logger } from '@kalisto/core';
import { silentLogger } from '@kalisto/core/plugin';

/** How the listener speaks TLS to its clients. */
export type ProxyTlsMode = 'none' | 'starttls' | 'implicit';

/** TLS versions a listener can require as its floor. */
export type ProxyTlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

/** TLS of the listener (the side facing devices and legacy clients). */
export interface ProxyTlsOptions {
  /**
   * `none`: plain TCP (the login then needs a loopback listener or `allowPlainLogin`); `starttls`:
   * plain TCP upgraded with STARTTLS (IMAP) / STLS (POP3); `implicit`: TLS from the first byte
   * (993/995-style).
   */
  mode: ProxyTlsMode;
  /** The listener's certificate chain, PEM. Required with `starttls` and `implicit`. */
  cert?: string | Buffer;
  /** The certificate's private key, PEM. Required with `starttls` and `implicit`. */
  key?: string | Buffer;
  /**
   * The oldest TLS version a client may use. Default `TLSv1.2`. A legacy device that only speaks
   * TLS 1.0/1.1 needs this lowered explicitly (the listener then also allows the old ciphers).
   */
  minVersion?: ProxyTlsVersion;
}

/** What `authenticate` answers for a relay credential that is good. */
export interface ProxyLogin {
  /** The mailbox whose Kalisto session carries this client upstream (passed to `sessionFor`). */
  mailbox: string;
}

/** Options of `createImapProxy` and `createPop3Proxy`. */
export interface MailProxyOptions {
  /** Address to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Port to listen on; 0 picks a free one (`listen()` reports it). */
  port: number;
  /** TLS towards the clients. */
  tls: ProxyTlsOptions;
  /**
   * Checks a relay credential (never the Microsoft password): the mailbox it maps to, or undefined
   * to refuse. Lockout and password hashing live here (the relay's credential store). A throw is
   * logged and answered as a temporary failure.
   */
  authenticate(user: string, password: string, remoteAddress: string): Promise<ProxyLogin | undefined>;
  /** The Kalisto session of a mailbox: its token manager (and shared cache) and `mail.<p>.*` settings. */
  sessionFor(mailbox: string): KalistoSession | Promise<KalistoSession>;
  /**
   * The session's protocol used upstream, whose `mail.<p>.host`/`port`/`ssl.enable`/`starttls.*`
   * settings apply. Default: the session's `mail.store.protocol` when it is one of this listener's
   * kind (`imap`/`imaps`, `pop3`/`pop3s`), else `imaps` / `pop3s`.
   */
  upstream?: string;
  /** Connections held at once (before and after login); one more is refused at once. Default 1000. */
  maxConnections?: number;
  /**
   * Before login, the longest a client may stay silent between commands, ms; then it is told BYE
   * and disconnected. After login the upstream server's own inactivity rules apply. Default 60000.
   */
  idleTimeoutMs?: number;
  /**
   * Accept LOGIN/USER/PASS/AUTH PLAIN over a connection without TLS. Default: only when `host` is a
   * loopback address (then a local client needs no certificate).
   */
  allowPlainLogin?: boolean;
  /** Longest command line before login, bytes (literals included). Default 8192. */
  maxLineBytes?: number;
  /** Commands a client may send before it logs in. Default 30. */
  maxCommandsBeforeLogin?: number;
  /** Failed logins on one connection before it is closed. Default 3. */
  maxLoginFailures?: number;
  /**
   * Time for the whole upstream login (TCP, TLS, greeting, STARTTLS, XOAUTH2), ms. Default the
   * session's `mail.<p>.connectiontimeout`, else 30000.
   */
  upstreamTimeoutMs?: number;
  /** A pino-shaped logger; nothing secret is ever logged. Default silent. */
  logger?: Logger;
}

/** The defaults of {@link MailProxyOptions}, as data. */
export const PROXY_DEFAULTS = {
  host: '127.0.0.1',
  minTlsVersion: 'TLSv1.2',
  maxConnections: 1000,
  idleTimeoutMs: 60_000,
  maxLineBytes: 8192,
  maxCommandsBeforeLogin: 30,
  maxLoginFailures: 3,
  upstreamTimeoutMs: 30_000,
  /** `close()` without a timeout: how long logged-in sessions may take to end by themselves. */
  closeTimeoutMs: 10_000,
  /** Everything an upstream server may send before its login completes (a few hundred bytes in practice). */
  upstreamPreAuthBytes: 64 * 1024,
  /** TCP keep-alive probes find clients that vanished without a FIN (a device switched off). */
  keepAliveMs: 60_000,
} as const;

/** Options with every default applied. */
export interface ResolvedProxyOptions {
  readonly host: string;
  readonly port: number;
  readonly tls: {
    readonly mode: ProxyTlsMode;
    readonly cert: string | Buffer | undefined;
    readonly key: string | Buffer | undefined;
    readonly minVersion: ProxyTlsVersion;
  };
  readonly authenticate: MailProxyOptions['authenticate'];
  readonly sessionFor: MailProxyOptions['sessionFor'];
  readonly upstream: string | undefined;
  readonly maxConnections: number;
  readonly idleTimeoutMs: number;
  readonly allowPlainLogin: boolean;
  readonly maxLineBytes: number;
  readonly maxCommandsBeforeLogin: number;
  readonly maxLoginFailures: number;
  readonly upstreamTimeoutMs: number | undefined;
  readonly logger: Logger;
}

/** The listener kinds: which upstream protocols fit, and the default when the session names none. */
export const PROXY_KINDS = {
  imap: { protocols: ['imap', 'imaps'], fallback: 'imaps' },
  pop3: { protocols: ['pop3', 'pop3s'], fallback: 'pop3s' },
} as const;

export type ProxyKind = keyof typeof PROXY_KINDS;

const TLS_MODES: readonly string[] = ['none', 'starttls', 'implicit'];
const TLS_VERSIONS: readonly string[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/** Whether `host` is a loopback address (or `localhost`): only local clients can connect. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '::ffff:127.0.0.1';
}

/**
 * Applies the defaults and checks every option; all problems are reported together in one
 * `ConfigError` whose issues name the option (e.g. `tls.cert`).
 */
export function resolveProxyOptions(kind: ProxyKind, options: MailProxyOptions): ResolvedProxyOptions {
  const issues: ConfigIssue[] = [];
  const label = `${kind}Proxy`;
  const check = (ok: boolean, property: string, expected: string) => {
    if (!ok) issues.push({ property: `${label}.${property}`, expected });
  };
  const positive = (value: number | undefined, property: string): void =>
    check(
      value === undefined || (Number.isInteger(value) && value > 0),
      property,
      'a positive whole number (or leave it out for the default)',
    );

  const host = options.host ?? PROXY_DEFAULTS.host;
  check(
    typeof host === 'string' && host !== '',
    'host',
    'an address to listen on, e.g. 127.0.0.1 or 0.0.0.0',
  );
  check(
    Number.isInteger(options.port) && options.port >= 0 && options.port <= 65535,
    'port',
    'a port number 0-65535 (0 picks a free one)',
  );
  check(
    typeof options.authenticate === 'function',
    'authenticate',
    'a function (user, password, remoteAddress) => Promise<{ mailbox } | undefined>',
  );
  check(typeof options.sessionFor === 'function', 'sessionFor', 'a function (mailbox) => KalistoSession');
  const tls = options.tls ?? ({} as ProxyTlsOptions);
  check(TLS_MODES.includes(tls.mode), 'tls.mode', "'none', 'starttls' or 'implicit'");
  const minVersion = tls.minVersion ?? PROXY_DEFAULTS.minTlsVersion;
  check(
    TLS_VERSIONS.includes(minVersion),
    'tls.minVersion',
    "'TLSv1.2' (default), 'TLSv1.3', or for legacy devices 'TLSv1.1'/'TLSv1'",
  );
  if (tls.mode === 'starttls' || tls.mode === 'implicit') {
    check(isPem(tls.cert), 'tls.cert', `the listener's certificate (PEM) for tls.mode '${tls.mode}'`);
    check(isPem(tls.key), 'tls.key', `the certificate's private key (PEM) for tls.mode '${tls.mode}'`);
  }
  const allowPlainLogin = options.allowPlainLogin ?? isLoopbackHost(host);
  check(
    tls.mode !== 'none' || allowPlainLogin,
    'tls.mode',
    `'starttls' or 'implicit' with a certificate: ${host} is not a loopback address, so passwords would cross the network in clear text (set allowPlainLogin: true only for a trusted network)`,
  );
  const upstream = options.upstream;
  const fits: readonly string[] = PROXY_KINDS[kind].protocols;
  check(
    upstream === undefined || fits.includes(upstream),
    'upstream',
    `one of ${fits.join(', ')} (the session's mail.<protocol>.* settings are used)`,
  );
  positive(options.maxConnections, 'maxConnections');
  positive(options.idleTimeoutMs, 'idleTimeoutMs');
  positive(options.maxLineBytes, 'maxLineBytes');
  positive(options.maxCommandsBeforeLogin, 'maxCommandsBeforeLogin');
  positive(options.maxLoginFailures, 'maxLoginFailures');
  positive(options.upstreamTimeoutMs, 'upstreamTimeoutMs');
  if (issues.length > 0) throw new ConfigError(issues);

  return {
    host,
    port: options.port,
    tls: { mode: tls.mode, cert: tls.cert, key: tls.key, minVersion },
    authenticate: options.authenticate,
    sessionFor: options.sessionFor,
    upstream,
    maxConnections: options.maxConnections ?? PROXY_DEFAULTS.maxConnections,
    idleTimeoutMs: options.idleTimeoutMs ?? PROXY_DEFAULTS.idleTimeoutMs,
    allowPlainLogin,
    maxLineBytes: options.maxLineBytes ?? PROXY_DEFAULTS.maxLineBytes,
    maxCommandsBeforeLogin: options.maxCommandsBeforeLogin ?? PROXY_DEFAULTS.maxCommandsBeforeLogin,
    maxLoginFailures: options.maxLoginFailures ?? PROXY_DEFAULTS.maxLoginFailures,
    upstreamTimeoutMs: options.upstreamTimeoutMs,
    logger: options.logger ?? silentLogger,
  };
}

function isPem(value: unknown): boolean {
  const text = Buffer.isBuffer(value) ? value.toString('latin1') : value;
  return typeof text === 'string' && text.includes('-----BEGIN ');
}
