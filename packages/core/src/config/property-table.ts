import type { CloudName, KnownProtocol, MailProtocol, OAuthFlow, ProtocolSettings } from './types.js';

/** How a property's string value is read. */
export type PropertyKind = 'string' | 'int' | 'boolean' | 'list' | 'secret' | 'enum' | 'url';

/** One row of the property table: the compatibility contract, as data. */
export interface PropertyDefinition {
  readonly name: string;
  readonly kind: PropertyKind;
  /**
   * The value used when the property is absent, in its string form. For rows with `derivedDefault`
   * this is the value for the global cloud, the password flow and secure transport.
   */
  readonly default?: string;
  /** Set when the default depends on other properties; says how. */
  readonly derivedDefault?: string;
  readonly description: string;
  /** The protocol the property belongs to; absent for session-wide properties. */
  readonly protocol?: KnownProtocol;
  /** Must be present in every configuration (no default can stand in). */
  readonly required: boolean;
  /** Allowed values of an `enum` property. */
  readonly values?: readonly string[];
  /** Inclusive range of an `int` property. */
  readonly range?: readonly [min: number, max: number];
  /** This property is another name for `aliasOf`. */
  readonly aliasOf?: string;
}

/** The six standard protocols of the WebSphere provider table. */
export const MAIL_PROTOCOLS: readonly MailProtocol[] = ['imap', 'imaps', 'pop3', 'pop3s', 'smtp', 'smtps'];
/** The standard store protocols (`mail.store.protocol`). */
export const STORE_PROTOCOLS: readonly MailProtocol[] = ['imap', 'imaps', 'pop3', 'pop3s'];
/** The standard transport protocols (`mail.transport.protocol`). */
export const TRANSPORT_PROTOCOLS: readonly MailProtocol[] = ['smtp', 'smtps'];
/**
 * Microsoft Graph (`@kalisto/protocol-graph`): a store and a transport under one name, over HTTPS,
 * with its own rows (`graphProperties`), not the mail protocols' TLS/SASL ones.
 */
export const GRAPH_PROTOCOL = 'graph';
/** Every protocol the table has rows for: the six mail protocols and Graph. */
export const KNOWN_PROTOCOLS: readonly KnownProtocol[] = [...MAIL_PROTOCOLS, GRAPH_PROTOCOL];

/** The values of `o365.cloud`. */
export const CLOUD_NAMES = ['global', 'usgov', 'usgovdod', 'china'] as const satisfies readonly CloudName[];
/** The values of `o365.oauth.flow`. */
export const OAUTH_FLOWS = [
  'client_credentials',
  'password',
  'device_code',
  'refresh_token',
  'managed_identity',
] as const satisfies readonly OAuthFlow[];
/** App-only grants: one token whatever mailbox it is used for (app scopes, cache key without a user). */
export const APP_ONLY_FLOWS: ReadonlySet<string> = new Set<OAuthFlow>([
  'client_credentials',
  'managed_identity',
]);
/** TLS versions `mail.<p>.ssl.protocols` may list, oldest first. */
export const TLS_VERSIONS = [
  'TLSv1',
  'TLSv1.1',
  'TLSv1.2',
  'TLSv1.3',
] as const satisfies readonly ProtocolSettings['minTlsVersion'][];

const PORT: readonly [number, number] = [1, 65_535];
const MIB = 1024 * 1024;
/** Node's timers cap at 2^31-1 ms. */
const TIMEOUT_MS: readonly [number, number] = [1, 2_147_483_647];

const SESSION_PROPERTIES: readonly PropertyDefinition[] = [
  {
    name: 'websphere.cache',
    kind: 'string',
    required: false,
    description:
      'Name of the registered cache backend holding tokens (was the JNDI name of a WebSphere object cache).',
  },
  {
    name: 'kalisto.cache',
    kind: 'string',
    required: false,
    aliasOf: 'websphere.cache',
    description: 'Same as websphere.cache; giving both with different values is an error.',
  },
  {
    name: 'security.encoder.class',
    kind: 'string',
    required: false,
    default: 'plain',
    description:
      'Secret decoder for o365.password, o365.oauth.clientSecret and the certificate key: com.ibm.ws.security.util.WSEncoderDecoder ({xor}), plain, or a registered decoder.',
  },
  {
    name: 'o365.user',
    kind: 'string',
    required: false,
    description: 'Mailbox user name; required by the password grant, the default login of every protocol.',
  },
  {
    name: 'o365.password',
    kind: 'secret',
    required: false,
    description:
      "The user's password (password grant); selects the password flow when o365.oauth.flow is absent.",
  },
  {
    name: 'o365.oauth.tenant',
    kind: 'string',
    required: true,
    description: 'Directory (tenant) id: a GUID or a verified domain name (not common/organizations).',
  },
  { name: 'o365.oauth.clientId', kind: 'string', required: true, description: 'Application (client) id.' },
  {
    name: 'o365.oauth.clientSecret',
    kind: 'secret',
    required: false,
    description: 'Application secret (its Value, not its ID); client credentials need it or a certificate.',
  },
  {
    name: 'o365.oauth.clientSecret.expires',
    kind: 'string',
    required: false,
    description:
      'When the client secret expires, as the app registration shows it (Certificates & secrets, Expires): an ISO 8601 date such as 2027-03-31, or a date-time with its offset. Warned 30, 7 and 1 days before.',
  },
  {
    name: 'o365.oauth.url',
    kind: 'url',
    required: false,
    default: 'https://login.microsoftonline.com/%s/oauth2/v2.0/token',
    derivedDefault: '<o365.oauth.authority>/%s/oauth2/v2.0/token',
    description: 'Token endpoint; %s stands for the tenant.',
  },
  {
    name: 'o365.oauth.scope',
    kind: 'list',
    required: false,
    default: 'https://outlook.office.com/.default',
    derivedDefault:
      "delegated flows: https://outlook.office.com/.default; client_credentials and managed_identity: https://outlook.office365.com/.default (the cloud's hosts outside global)",
    description: 'Scopes to request, separated by spaces or commas.',
  },
  {
    name: 'o365.cloud',
    kind: 'enum',
    required: false,
    default: 'global',
    values: CLOUD_NAMES,
    description: 'National cloud: switches the authority host and the IMAP/POP3/SMTP hosts together.',
  },
  {
    name: 'o365.oauth.authority',
    kind: 'url',
    required: false,
    default: 'https://login.microsoftonline.com',
    derivedDefault: "the cloud's authority host, or the origin of o365.oauth.url when only that is given",
    description: 'Authority host URL (https).',
  },
  {
    name: 'o365.oauth.flow',
    kind: 'enum',
    required: false,
    values: OAUTH_FLOWS,
    derivedDefault: 'password when o365.password is set, else client_credentials',
    description: 'The OAuth2 grant that obtains tokens.',
  },
  {
    name: 'o365.oauth.provider',
    kind: 'string',
    required: false,
    default: 'msal',
    description: 'Name of the registered token provider.',
  },
  {
    name: 'o365.oauth.certificate.thumbprint',
    kind: 'string',
    required: false,
    description: "Certificate credential: the certificate's SHA-1 (40 hex) or SHA-256 (64 hex) thumbprint.",
  },
  {
    name: 'o365.oauth.certificate.privateKey',
    kind: 'secret',
    required: false,
    description:
      'Certificate credential: the PEM private key (or file:PATH / env:NAME); with the certificate in the same PEM, its expiry is warned 30, 7 and 1 days before.',
  },
  {
    name: 'kalisto.token.refreshSkew',
    kind: 'int',
    required: false,
    default: '300000',
    range: [0, 86_400_000],
    description: 'Refresh a token when less than this many ms of its life remain.',
  },
  {
    name: 'kalisto.oauth.timeout',
    kind: 'int',
    required: false,
    default: '30000',
    range: TIMEOUT_MS,
    description:
      'Deadline of one token request to the identity platform, ms: every attempt, retry, backoff and lock wait of it.',
  },
  {
    name: 'kalisto.oauth.proxy',
    kind: 'url',
    required: false,
    description:
      'Outbound HTTP(S) proxy URL for the identity platform (the environment HTTPS_PROXY when env is given).',
  },
  {
    name: 'kalisto.tls.ca',
    kind: 'string',
    required: false,
    description: 'Extra CA certificates to trust for mail and identity TLS: PEM text, or file:PATH.',
  },
  {
    name: 'kalisto.auth.allowInsecure',
    kind: 'boolean',
    required: false,
    default: 'false',
    description: 'Allow sending tokens over a connection without TLS (plain port, no STARTTLS).',
  },
  {
    name: 'mail.debug',
    kind: 'boolean',
    required: false,
    default: 'false',
    description: 'Log protocol traffic.',
  },
  {
    name: 'mail.store.protocol',
    kind: 'string',
    required: false,
    default: 'imap',
    description:
      'Default store protocol: imap, imaps, pop3, pop3s, graph or a custom one with mail.<name>.* properties.',
  },
  {
    name: 'mail.transport.protocol',
    kind: 'string',
    required: false,
    default: 'smtp',
    description:
      'Default transport protocol: smtp, smtps, graph or a custom one with mail.<name>.* properties.',
  },
  {
    name: 'mail.from',
    kind: 'string',
    required: false,
    description: 'Default sender address when mail.<transport>.from is absent.',
  },
];

/** Office 365 defaults that differ between the six protocols. */
interface ProtocolDefaults {
  readonly host: string;
  readonly port: number;
  readonly ssl: boolean;
  readonly starttls: boolean;
}

const O365_MAIL_HOST = 'outlook.office365.com';
const O365_SMTP_HOST = 'smtp.office365.com';

/** `imap` on Office 365 is implicit TLS on 993 (the reference table); `pop3` likewise on 995. */
export const PROTOCOL_DEFAULTS: Readonly<Record<MailProtocol, ProtocolDefaults>> = {
  imap: { host: O365_MAIL_HOST, port: 993, ssl: true, starttls: false },
  imaps: { host: O365_MAIL_HOST, port: 993, ssl: true, starttls: false },
  pop3: { host: O365_MAIL_HOST, port: 995, ssl: true, starttls: false },
  pop3s: { host: O365_MAIL_HOST, port: 995, ssl: true, starttls: false },
  smtp: { host: O365_SMTP_HOST, port: 587, ssl: false, starttls: true },
  smtps: { host: O365_SMTP_HOST, port: 465, ssl: true, starttls: false },
};

/** The `mail.<p>.*` rows of one protocol (`defaults` absent: a custom protocol, host and port required). */
export function protocolProperties(protocol: string, defaults?: ProtocolDefaults): PropertyDefinition[] {
  const p = `mail.${protocol}`;
  const known = (MAIL_PROTOCOLS as readonly string[]).includes(protocol)
    ? { protocol: protocol as MailProtocol }
    : {};
  const isTransport = (TRANSPORT_PROTOCOLS as readonly string[]).includes(protocol);
  const isImap = protocol === 'imap' || protocol === 'imaps';
  const rows: PropertyDefinition[] = [
    {
      name: `${p}.host`,
      kind: 'string',
      required: defaults === undefined,
      ...(defaults && {
        default: defaults.host,
        derivedDefault: "the cloud's host when o365.cloud is given",
      }),
      description: 'Server host name.',
    },
    {
      name: `${p}.port`,
      kind: 'int',
      required: defaults === undefined,
      ...(defaults && { default: String(defaults.port) }),
      range: PORT,
      description: 'Server port.',
    },
    {
      name: `${p}.ssl.enable`,
      kind: 'boolean',
      required: false,
      default: String(defaults?.ssl ?? true),
      description: 'Implicit TLS from the first byte.',
    },
    {
      name: `${p}.ssl.protocols`,
      kind: 'list',
      required: false,
      default: 'TLSv1.2',
      description:
        'Allowed TLS versions (TLSv1 … TLSv1.3); the lowest listed is the minimum, but never below TLSv1.2 unless ssl.allowLegacyTls is true (a warning says so).',
    },
    {
      name: `${p}.ssl.allowLegacyTls`,
      kind: 'boolean',
      required: false,
      default: 'false',
      description:
        'Let ssl.protocols lower the minimum to TLSv1 or TLSv1.1 (for an old server you cannot upgrade; both versions are broken).',
    },
    {
      name: `${p}.ssl.checkserveridentity`,
      kind: 'boolean',
      required: false,
      default: 'true',
      description: 'Verify that the server certificate names the host.',
    },
    {
      name: `${p}.starttls.enable`,
      kind: 'boolean',
      required: false,
      default: String(defaults?.starttls ?? false),
      description: 'Upgrade a plain connection with STARTTLS (STLS for POP3).',
    },
    {
      name: `${p}.starttls.required`,
      kind: 'boolean',
      required: false,
      default: 'true',
      derivedDefault: 'true unless kalisto.auth.allowInsecure is true',
      description: 'Fail when the server does not offer STARTTLS.',
    },
    {
      name: `${p}.sasl.enable`,
      kind: 'boolean',
      required: false,
      default: 'true',
      description: 'Authenticate with SASL (always, for OAuth2).',
    },
    {
      name: `${p}.sasl.mechanisms`,
      kind: 'list',
      required: false,
      default: 'XOAUTH2',
      description: 'SASL mechanisms in order of preference: XOAUTH2, OAUTHBEARER.',
    },
    {
      name: `${p}.auth.login.disable`,
      kind: 'boolean',
      required: false,
      default: 'true',
      description: 'Never use LOGIN (kept for compatibility; passwords are never sent).',
    },
    {
      name: `${p}.auth.plain.disable`,
      kind: 'boolean',
      required: false,
      default: 'true',
      description: 'Never use PLAIN (kept for compatibility; passwords are never sent).',
    },
    {
      name: `${p}.socketFactory.fallback`,
      kind: 'boolean',
      required: false,
      default: 'true',
      description: 'Accepted for compatibility; has no effect.',
    },
    {
      name: `${p}.user`,
      kind: 'string',
      required: false,
      description: 'Mailbox to log in as (e.g. a shared mailbox); default o365.user.',
    },
    {
      name: `${p}.connectiontimeout`,
      kind: 'int',
      required: false,
      default: '30000',
      range: TIMEOUT_MS,
      description: 'Connection (and TLS handshake) timeout, ms.',
    },
    {
      name: `${p}.timeout`,
      kind: 'int',
      required: false,
      default: '300000',
      range: TIMEOUT_MS,
      description: 'Socket inactivity timeout, ms.',
    },
    {
      name: `${p}.maxResponseBytes`,
      kind: 'int',
      required: false,
      default: String(16 * 1024 * 1024),
      range: [1024, 2_147_483_647],
      description:
        'Largest server response the client holds in memory, bytes: a POP3 multi-line listing (CAPA, LIST, UIDL), an IMAP response line or a literal outside a message body; message bodies stream. A larger one fails with a ConnectionError.',
    },
    {
      name: `${p}.class`,
      kind: 'string',
      required: false,
      description:
        'Provider class from a Java configuration (e.g. pl.slawas.mail.outlook.store.OutlookStore).',
    },
    { name: `${p}.proxy.host`, kind: 'string', required: false, description: 'HTTP CONNECT proxy host.' },
    {
      name: `${p}.proxy.port`,
      kind: 'int',
      required: false,
      range: PORT,
      description: 'HTTP CONNECT proxy port (used with proxy.host; 80 when absent, as in JavaMail).',
    },
    {
      name: `${p}.proxy.url`,
      kind: 'url',
      required: false,
      description: 'Proxy as a URL (http://host:port); takes precedence over proxy.host/proxy.port.',
    },
  ];
  if (!isTransport) {
    rows.push(
      {
        name: `${p}.maxConnections`,
        kind: 'int',
        required: false,
        range: [0, 1000],
        derivedDefault:
          "20 for Exchange Online hosts (outlook.office365.com and the other clouds' mail hosts), else 0",
        description:
          'Most connections one session holds open at once to one mailbox on this host; further store() calls wait for one to close. Exchange Online allows about 20 IMAP connections per mailbox. 0: no limit.',
      },
      {
        name: `${p}.maxConnections.wait`,
        kind: 'int',
        required: false,
        default: '60000',
        range: TIMEOUT_MS,
        description:
          'How long store() waits for a free connection under maxConnections, ms; then it fails with CONNECTION_LIMIT.',
      },
    );
  }
  if (isTransport) {
    rows.push(
      {
        name: `${p}.auth`,
        kind: 'boolean',
        required: false,
        default: 'true',
        description: 'Authenticate (SMTP AUTH).',
      },
      {
        name: `${p}.from`,
        kind: 'string',
        required: false,
        description: 'Envelope sender; default mail.from.',
      },
      {
        name: `${p}.localhost`,
        kind: 'string',
        required: false,
        description: 'The name this client gives in EHLO; default the host name.',
      },
      {
        name: `${p}.pool.enable`,
        kind: 'boolean',
        required: false,
        default: 'false',
        description: 'Keep authenticated connections open and reuse them for further messages.',
      },
      {
        name: `${p}.pool.maxConnections`,
        kind: 'int',
        required: false,
        default: '3',
        range: [1, 100],
        description:
          'Most pooled connections; Exchange Online allows about 3 per mailbox (a 4th gets 432 4.3.2).',
      },
      {
        name: `${p}.pool.maxMessages`,
        kind: 'int',
        required: false,
        default: '100',
        range: [1, 1_000_000],
        description:
          'Messages per pooled connection before it is replaced (and logs in with a current token).',
      },
    );
  }
  if (isImap) {
    rows.push({
      name: `${p}.mailbox.timeout`,
      kind: 'int',
      required: false,
      default: '10000',
      range: TIMEOUT_MS,
      description: 'Timeout of one mailbox operation, ms.',
    });
  }
  return rows.map((row) => ({ ...row, ...known }));
}

/** The `mail.graph.*` rows: HTTPS only, so none of the mail protocols' TLS, STARTTLS or SASL rows. */
const GRAPH_ROWS: readonly PropertyDefinition[] = [
  {
    name: 'mail.graph.host',
    kind: 'string',
    required: false,
    default: 'graph.microsoft.com',
    derivedDefault: "the cloud's Graph host when o365.cloud is given",
    description: 'Microsoft Graph host (always HTTPS).',
  },
  {
    name: 'mail.graph.port',
    kind: 'int',
    required: false,
    default: '443',
    range: PORT,
    description: 'Graph port.',
  },
  {
    name: 'mail.graph.user',
    kind: 'string',
    required: false,
    description:
      'The mailbox Graph reads and sends as (/users/{mail.graph.user}), e.g. a shared mailbox; default o365.user.',
  },
  {
    name: 'mail.graph.from',
    kind: 'string',
    required: false,
    description: 'Default From of messages sent through Graph; default mail.from.',
  },
  {
    name: 'mail.graph.scope',
    kind: 'list',
    required: false,
    default: 'https://graph.microsoft.com/.default',
    derivedDefault:
      "client_credentials and managed_identity: https://graph.microsoft.com/.default; delegated flows: https://graph.microsoft.com/Mail.ReadWrite https://graph.microsoft.com/Mail.Send offline_access (the cloud's Graph host outside global)",
    description:
      'Scopes of the Graph token, separated by spaces or commas (o365.oauth.scope stays the Outlook one).',
  },
  {
    name: 'mail.graph.saveToSentItems',
    kind: 'boolean',
    required: false,
    default: 'true',
    description: 'Keep a copy of each message sent through Graph in Sent Items.',
  },
  {
    name: 'mail.graph.timeout',
    kind: 'int',
    required: false,
    default: '60000',
    range: TIMEOUT_MS,
    description: 'Deadline of one Graph request, ms: connecting, the headers and the whole body.',
  },
  {
    name: 'mail.graph.maxRetries',
    kind: 'int',
    required: false,
    default: '3',
    range: [0, 10],
    description:
      'Retries of one Graph request after 429 (throttled), 503 (unavailable) or a network failure, within mail.graph.retryBudget.',
  },
  {
    name: 'mail.graph.retryBudget',
    kind: 'int',
    required: false,
    default: '60000',
    range: [0, 2_147_483_647],
    description:
      "Most time one Graph request spends waiting to retry, ms, Retry-After included: a longer wait asked by the server fails at once with the server's wait in the error.",
  },
  {
    name: 'mail.graph.maxConcurrency',
    kind: 'int',
    required: false,
    default: '4',
    range: [1, 1000],
    description:
      "Most Graph requests in flight per store or transport; more wait their turn (FIFO) within mail.graph.timeout. Default 4, Exchange Online's concurrency per mailbox (a 5th request gets 429).",
  },
  {
    name: 'mail.graph.maxResponseBytes',
    kind: 'int',
    required: false,
    default: String(16 * MIB),
    range: [1024, 2_147_483_647],
    description:
      'Largest Graph reply held in memory other than a message source (folder and message listings), bytes.',
  },
  {
    name: 'mail.graph.maxMessageBytes',
    kind: 'int',
    required: false,
    default: String(150 * MIB),
    range: [1024, 2_147_483_647],
    description:
      "Largest message read (a MIME source through $value) or sent, bytes; default 150 MiB, Exchange Online's ceiling.",
  },
  {
    name: 'mail.graph.class',
    kind: 'string',
    required: false,
    description: 'Provider class from a Java configuration (none is standard for Graph).',
  },
  {
    name: 'mail.graph.proxy.host',
    kind: 'string',
    required: false,
    description: 'HTTP CONNECT proxy host for Graph.',
  },
  {
    name: 'mail.graph.proxy.port',
    kind: 'int',
    required: false,
    range: PORT,
    description: 'HTTP CONNECT proxy port (used with proxy.host; 80 when absent).',
  },
  {
    name: 'mail.graph.proxy.url',
    kind: 'url',
    required: false,
    description:
      'Proxy for Graph as a URL (http://host:port); default kalisto.oauth.proxy, else HTTPS_PROXY from the environment.',
  },
];

/** The `mail.graph.*` rows. */
export function graphProperties(): PropertyDefinition[] {
  return GRAPH_ROWS.map((row) => ({ ...row, protocol: GRAPH_PROTOCOL }));
}

/**
 * Every property Kalisto knows: the reference table (required and optional rows), the analogues
 * for imaps, pop3, pop3s and smtps, Kalisto's own `o365.*`/`kalisto.*` properties and the standard
 * JavaMail properties that have a meaning here.
 */
export const PROPERTY_TABLE: readonly PropertyDefinition[] = [
  ...SESSION_PROPERTIES,
  ...MAIL_PROTOCOLS.flatMap((protocol) => protocolProperties(protocol, PROTOCOL_DEFAULTS[protocol])),
  ...graphProperties(),
];

const BY_NAME: ReadonlyMap<string, PropertyDefinition> = new Map(
  PROPERTY_TABLE.map((row) => [row.name, row]),
);

/** The table row of a property, if Kalisto knows it. */
export function findProperty(name: string): PropertyDefinition | undefined {
  return BY_NAME.get(name);
}
