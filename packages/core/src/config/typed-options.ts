import type { ConfigIssue } from '../errors/errors.js';
import { isSecret, type Secret } from './secret.js';
import { suggest } from './suggest.js';
import type { CloudName, OAuthFlow } from './types.js';

/** A value of a typed option that becomes one property. */
type Scalar = string | number | boolean;

/** `mail.<protocol>.*` as a typed object. Each field names its property. */
export interface ProtocolOptions {
  /** `mail.<p>.host` */
  host?: string;
  /** `mail.<p>.port` */
  port?: number;
  /** `mail.<p>.ssl.enable`: implicit TLS. */
  ssl?: boolean;
  /** `mail.<p>.ssl.protocols`, e.g. `['TLSv1.2', 'TLSv1.3']`. */
  sslProtocols?: string | readonly string[];
  /** `mail.<p>.ssl.checkserveridentity` */
  checkServerIdentity?: boolean;
  /** `mail.<p>.starttls.enable` */
  starttls?: boolean;
  /** `mail.<p>.starttls.required` */
  starttlsRequired?: boolean;
  /** `mail.<p>.sasl.mechanisms`, e.g. `['XOAUTH2']`. */
  saslMechanisms?: string | readonly string[];
  /** `mail.<p>.auth` (transports) */
  auth?: boolean;
  /** `mail.<p>.user`: the mailbox to log in as. */
  user?: string;
  /** `mail.<p>.from` (transports) */
  from?: string;
  /** `mail.<p>.connectiontimeout`, ms */
  connectionTimeoutMs?: number;
  /** `mail.<p>.timeout`, ms */
  timeoutMs?: number;
  /** `mail.<p>.mailbox.timeout`, ms (IMAP) */
  mailboxTimeoutMs?: number;
  /** `mail.<p>.proxy.url` */
  proxy?: string;
  /** `mail.<p>.class`: a provider class name from a Java configuration. */
  providerClass?: string;
}

/**
 * The typed equivalent of the property map. Every field maps onto one property (see each field);
 * `resolveConfig(options)` equals `resolveConfig` of that property map.
 */
export interface KalistoConfigOptions {
  /** `o365.user` */
  user?: string;
  /** `o365.password` */
  password?: string | Secret;
  /** `o365.oauth.tenant` */
  tenant?: string;
  /** `o365.oauth.clientId` */
  clientId?: string;
  /** `o365.oauth.clientSecret` */
  clientSecret?: string | Secret;
  /** `o365.oauth.clientSecret.expires`: the secret's expiry date, ISO 8601 (e.g. `2027-03-31`). */
  clientSecretExpires?: string;
  /** `o365.oauth.certificate.thumbprint` and `.privateKey` */
  certificate?: { thumbprint?: string; privateKey?: string | Secret };
  /** `o365.cloud` */
  cloud?: CloudName;
  /** `o365.oauth.authority`: authority host URL. */
  authority?: string;
  /** `o365.oauth.url`: token endpoint, `%s` standing for the tenant. */
  tokenUrl?: string;
  /** `o365.oauth.flow` */
  flow?: OAuthFlow;
  /** `o365.oauth.scope` (an array is joined with spaces) */
  scopes?: string | readonly string[];
  /** `o365.oauth.provider` */
  provider?: string;
  /** `kalisto.cache` (= `websphere.cache`) */
  cache?: string;
  /** `security.encoder.class` */
  encoder?: string;
  /** `mail.store.protocol` */
  storeProtocol?: string;
  /** `mail.transport.protocol` */
  transportProtocol?: string;
  /** `mail.from` */
  from?: string;
  /** `kalisto.token.refreshSkew`, ms */
  refreshSkewMs?: number;
  /** `kalisto.oauth.timeout`, ms */
  oauthTimeoutMs?: number;
  /** `kalisto.oauth.proxy` */
  oauthProxy?: string;
  /** `kalisto.tls.ca`: PEM text or `file:PATH` */
  tlsCa?: string;
  /** `kalisto.auth.allowInsecure` */
  allowInsecureAuth?: boolean;
  /** `mail.debug` */
  debug?: boolean;
  /** `mail.imap.*` */
  imap?: ProtocolOptions;
  /** `mail.imaps.*` */
  imaps?: ProtocolOptions;
  /** `mail.pop3.*` */
  pop3?: ProtocolOptions;
  /** `mail.pop3s.*` */
  pop3s?: ProtocolOptions;
  /** `mail.smtp.*` */
  smtp?: ProtocolOptions;
  /** `mail.smtps.*` */
  smtps?: ProtocolOptions;
  /** `mail.<name>.*` of custom protocols, by name. */
  protocols?: Readonly<Record<string, ProtocolOptions>>;
  /** Any other property by its name, e.g. `{ 'mail.imap.partialfetch': false }`; the typed fields win. */
  properties?: Readonly<Record<string, Scalar>>;
}

/** Typed option → property name, for the scalar fields. */
export const TYPED_OPTION_PROPERTIES = {
  user: 'o365.user',
  password: 'o365.password',
  tenant: 'o365.oauth.tenant',
  clientId: 'o365.oauth.clientId',
  clientSecret: 'o365.oauth.clientSecret',
  clientSecretExpires: 'o365.oauth.clientSecret.expires',
  cloud: 'o365.cloud',
  authority: 'o365.oauth.authority',
  tokenUrl: 'o365.oauth.url',
  flow: 'o365.oauth.flow',
  scopes: 'o365.oauth.scope',
  provider: 'o365.oauth.provider',
  cache: 'kalisto.cache',
  encoder: 'security.encoder.class',
  storeProtocol: 'mail.store.protocol',
  transportProtocol: 'mail.transport.protocol',
  from: 'mail.from',
  refreshSkewMs: 'kalisto.token.refreshSkew',
  oauthTimeoutMs: 'kalisto.oauth.timeout',
  oauthProxy: 'kalisto.oauth.proxy',
  tlsCa: 'kalisto.tls.ca',
  allowInsecureAuth: 'kalisto.auth.allowInsecure',
  debug: 'mail.debug',
} as const satisfies Partial<Record<keyof KalistoConfigOptions, string>>;

/** Protocol option → `mail.<p>.` suffix. */
export const PROTOCOL_OPTION_PROPERTIES = {
  host: 'host',
  port: 'port',
  ssl: 'ssl.enable',
  sslProtocols: 'ssl.protocols',
  checkServerIdentity: 'ssl.checkserveridentity',
  starttls: 'starttls.enable',
  starttlsRequired: 'starttls.required',
  saslMechanisms: 'sasl.mechanisms',
  auth: 'auth',
  user: 'user',
  from: 'from',
  connectionTimeoutMs: 'connectiontimeout',
  timeoutMs: 'timeout',
  mailboxTimeoutMs: 'mailbox.timeout',
  proxy: 'proxy.url',
  providerClass: 'class',
} as const satisfies Record<keyof ProtocolOptions, string>;

const PROTOCOL_FIELDS = ['imap', 'imaps', 'pop3', 'pop3s', 'smtp', 'smtps'] as const;
const STRUCTURED_FIELDS = ['certificate', ...PROTOCOL_FIELDS, 'protocols', 'properties'] as const;

/** Every top-level field of {@link KalistoConfigOptions}. */
export const TYPED_OPTION_NAMES: readonly string[] = [
  ...Object.keys(TYPED_OPTION_PROPERTIES),
  ...STRUCTURED_FIELDS,
];

/** The string form of one option value, or undefined (with an issue) if it has no such form. */
function toPropertyValue(value: unknown, property: string, issues: ConfigIssue[]): string | undefined {
  if (isSecret(value)) return value.reveal();
  if (typeof value === 'string' || typeof value === 'boolean') return String(value);
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.join(' ');
  issues.push({ property, expected: 'a string, a finite number, a boolean or an array of strings' });
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !isSecret(value);
}

/** `table[key]` only for the table's own keys: `toString` or `__proto__` from the input is not a field. */
function ownValue(table: Readonly<Record<string, string>>, key: string): string | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

function addProtocol(
  protocol: string,
  options: unknown,
  field: string,
  out: Map<string, string>,
  issues: ConfigIssue[],
): void {
  if (!isRecord(options)) {
    issues.push({ property: field, expected: 'an object of protocol options' });
    return;
  }
  const names = Object.keys(PROTOCOL_OPTION_PROPERTIES);
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    const suffix = ownValue(PROTOCOL_OPTION_PROPERTIES, key);
    if (suffix === undefined) {
      issues.push({
        property: `${field}.${key}`,
        expected: `one of the protocol options${didYouMean(key, names)}`,
      });
      continue;
    }
    const property = `mail.${protocol}.${suffix}`;
    const text = toPropertyValue(value, property, issues);
    if (text !== undefined) out.set(property, text);
  }
}

function didYouMean(name: string, candidates: readonly string[]): string {
  const match = suggest(name, candidates);
  return match === undefined ? ` (${candidates.join(', ')})` : ` (did you mean ${match}?)`;
}

/**
 * Maps typed options onto property names. Undefined fields are skipped; `properties` go first so
 * that the typed fields win over a raw property of the same name.
 */
export function typedOptionsToProperties(options: Readonly<Record<string, unknown>>): {
  properties: Map<string, string>;
  issues: ConfigIssue[];
} {
  const out = new Map<string, string>();
  const issues: ConfigIssue[] = [];

  const raw = options.properties;
  if (raw !== undefined) {
    if (isRecord(raw)) {
      for (const [property, value] of Object.entries(raw)) {
        if (value === undefined) continue;
        const text = toPropertyValue(value, property, issues);
        if (text !== undefined) out.set(property, text);
      }
    } else issues.push({ property: 'properties', expected: 'an object of property names to values' });
  }

  for (const [key, value] of Object.entries(options)) {
    if (value === undefined || key === 'properties') continue;
    const property = ownValue(TYPED_OPTION_PROPERTIES, key);
    if (property !== undefined) {
      const text = toPropertyValue(value, property, issues);
      if (text !== undefined) out.set(property, text);
    } else if (key === 'certificate') {
      if (!isRecord(value)) {
        issues.push({ property: 'certificate', expected: 'an object { thumbprint, privateKey }' });
        continue;
      }
      for (const [field, suffix] of [
        ['thumbprint', 'thumbprint'],
        ['privateKey', 'privateKey'],
      ] as const) {
        if (value[field] === undefined) continue;
        const name = `o365.oauth.certificate.${suffix}`;
        const text = toPropertyValue(value[field], name, issues);
        if (text !== undefined) out.set(name, text);
      }
    } else if ((PROTOCOL_FIELDS as readonly string[]).includes(key)) {
      addProtocol(key, value, key, out, issues);
    } else if (key === 'protocols') {
      if (!isRecord(value)) {
        issues.push({ property: 'protocols', expected: 'an object of protocol name to protocol options' });
        continue;
      }
      for (const [protocol, protocolOptions] of Object.entries(value)) {
        addProtocol(protocol, protocolOptions, `protocols.${protocol}`, out, issues);
      }
    } else {
      issues.push({
        property: key,
        expected: `a KalistoConfigOptions field${didYouMean(key, TYPED_OPTION_NAMES)}`,
      });
    }
  }
  return { properties: out, issues };
}
