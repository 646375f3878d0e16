import type { Secret } from './secret.js';

/** Where a resolved property's value came from. */
export type ConfigSource = 'input' | 'default' | 'environment' | 'cloud';

export type CloudName = 'global' | 'usgov' | 'usgovdod' | 'china';

/** `o365.oauth.flow`: which grant obtains tokens. */
export type OAuthFlow =
  | 'client_credentials'
  | 'password'
  | 'device_code'
  | 'refresh_token'
  | 'managed_identity';

export type MailProtocol = 'imap' | 'imaps' | 'pop3' | 'pop3s' | 'smtp' | 'smtps';

/** The protocols core's property table knows: the six of the WebSphere table, and Microsoft Graph. */
export type KnownProtocol = MailProtocol | 'graph';

/** A JavaMail-style flat property map, as an administrator pastes it. */
export type PropertyMap = Readonly<Record<string, string>>;

/** Resolved settings of one protocol (`mail.<protocol>.*` with defaults applied). */
export interface ProtocolSettings {
  readonly protocol: string;
  readonly host: string;
  readonly port: number;
  /** Implicit TLS from the first byte (`mail.<p>.ssl.enable`). */
  readonly ssl: boolean;
  /** Upgrade with STARTTLS/STLS (`mail.<p>.starttls.enable`). */
  readonly starttls: boolean;
  /** Fail when the server offers no STARTTLS (`mail.<p>.starttls.required`; true unless insecure auth is allowed). */
  readonly starttlsRequired: boolean;
  /** Minimum TLS version, from `mail.<p>.ssl.protocols` (e.g. `TLSv1.2`). */
  readonly minTlsVersion: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  /** Verify the server certificate's host name (`mail.<p>.ssl.checkserveridentity`, default true). */
  readonly checkServerIdentity: boolean;
  /** `mail.<p>.sasl.mechanisms`, upper-case, in order of preference. */
  readonly saslMechanisms: readonly string[];
  /** `mail.<p>.auth` (SMTP) / always true for stores. */
  readonly auth: boolean;
  /** The mailbox to log in as: `mail.<p>.user`, else `o365.user`. */
  readonly user: string | undefined;
  /** `mail.<p>.connectiontimeout`, ms. */
  readonly connectionTimeoutMs: number;
  /** `mail.<p>.timeout` (socket read), ms. */
  readonly timeoutMs: number;
  /** `mail.<p>.maxResponseBytes`: the most bytes of one server response held in memory (bodies stream). */
  readonly maxResponseBytes: number;
  /** `mail.<p>.from` (transports). */
  readonly from: string | undefined;
  /** `mail.<p>.proxy.host`/`.port` or `mail.<p>.proxy.url`, as a URL. */
  readonly proxy: string | undefined;
  /** `mail.<p>.class` as given (a Java class name), if any. */
  readonly providerClass: string | undefined;
  /** Every `mail.<p>.*` property as resolved, for provider-specific options. */
  readonly properties: PropertyMap;
}

export interface OAuthSettings {
  readonly cloud: CloudName;
  /** Authority host URL, e.g. `https://login.microsoftonline.com` (`o365.oauth.authority`). */
  readonly authorityHost: string;
  /** `${authorityHost}/${tenant}`. */
  readonly authority: string;
  readonly tenant: string;
  readonly clientId: string;
  readonly clientSecret: Secret | undefined;
  /**
   * When the client secret expires, epoch ms (`o365.oauth.clientSecret.expires`, the date the app
   * registration shows; a date alone is the start of that day, UTC). Absent when not configured.
   */
  readonly clientSecretExpiresAt?: number;
  /** `o365.oauth.url` with `%s` replaced by the tenant. */
  readonly tokenUrl: string;
  readonly scopes: readonly string[];
  readonly flow: OAuthFlow;
  /** `o365.oauth.provider`, the registered token provider's name (default `msal`). */
  readonly provider: string;
  /** `o365.user`: the delegated user (password, device code, refresh token). */
  readonly user: string | undefined;
  readonly password: Secret | undefined;
  /**
   * `o365.oauth.certificate.thumbprint` / `.privateKey` for certificate credentials; `notAfter`
   * (epoch ms) when the private key's PEM also carries the certificate with that thumbprint.
   */
  readonly certificate:
    | { readonly thumbprint: string; readonly privateKey: Secret; readonly notAfter?: number }
    | undefined;
  /** Refresh when less than this remains, ms (`kalisto.token.refreshSkew`, default 300000). */
  readonly refreshSkewMs: number;
  /** HTTP(S) timeout for the identity platform, ms (`kalisto.oauth.timeout`, default 30000). */
  readonly timeoutMs: number;
  /** Outbound proxy URL for the identity platform (`kalisto.oauth.proxy`, else HTTPS_PROXY). */
  readonly proxy: string | undefined;
}

/** A property that is probably a mistake but does not stop the configuration from working. */
export interface ConfigWarning {
  /** The property as given, e.g. `o365.oauth.clientID`. */
  readonly property: string;
  readonly message: string;
  /** The known property probably meant, if one is close. */
  readonly suggestion?: string;
}

/** The frozen result of `resolveConfig`. Secrets are `Secret` instances and print as `***`. */
export interface ResolvedConfig {
  /** Every property (input, environment, cloud preset and defaults), secrets still encoded. */
  readonly properties: PropertyMap;
  readonly sources: Readonly<Record<string, ConfigSource>>;
  readonly oauth: OAuthSettings;
  /** `websphere.cache` / `kalisto.cache`: the registered cache backend to use, if any. */
  readonly cacheName: string | undefined;
  /** `mail.store.protocol` (default `imap`). */
  readonly storeProtocol: string;
  /** `mail.transport.protocol` (default `smtp`). */
  readonly transportProtocol: string;
  /** Settings of the six standard protocols, of `graph`, and of any other `mail.<p>.*` prefix given. */
  readonly protocols: Readonly<Record<string, ProtocolSettings>>;
  /** Extra CA certificates (PEM) to trust for mail and identity TLS (`kalisto.tls.ca`: PEM, `file:` path). */
  readonly tlsCa: string | undefined;
  /** Allow XOAUTH2 over an unencrypted connection (`kalisto.auth.allowInsecure`, default false). */
  readonly allowInsecureAuth: boolean;
  /** `mail.debug`. */
  readonly debug: boolean;
  /**
   * Unknown property names in Kalisto's namespaces and near misses of known names. Always set by
   * `resolveConfig`; optional so that hand-built configurations (test fixtures) need not list it.
   */
  readonly warnings?: readonly ConfigWarning[];
}
