import type { PropertyReader } from './property-reader.js';
import { GRAPH_PROTOCOL, STORE_PROTOCOLS, TLS_VERSIONS, TRANSPORT_PROTOCOLS } from './property-table.js';
import { redactingPropertyMap } from './redaction.js';
import type { ProtocolSettings } from './types.js';

type TlsVersion = ProtocolSettings['minTlsVersion'];
const OAUTH_MECHANISMS = ['XOAUTH2', 'OAUTHBEARER'];
/** JavaMail's proxy port when `mail.<p>.proxy.port` is absent. */
const DEFAULT_PROXY_PORT = 80;
/** `mail.<p>.maxResponseBytes` when it is invalid (already reported); the table's default otherwise applies. */
const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

const TLS_FLOOR: TlsVersion = 'TLSv1.2';

/**
 * The lowest version `mail.<p>.ssl.protocols` lists, but not below TLS 1.2 unless
 * `mail.<p>.ssl.allowLegacyTls` is true: a pasted Java configuration often lists TLSv1, and that
 * must not quietly weaken the connection (a warning says what happened instead).
 */
function minTlsVersion(reader: PropertyReader, p: string): TlsVersion {
  const name = `${p}.ssl.protocols`;
  const listed = reader.list(name);
  const unknown = listed.filter((v) => !(TLS_VERSIONS as readonly string[]).includes(v));
  if (listed.length === 0 || unknown.length > 0) {
    reader.issue(name, `TLS versions among ${TLS_VERSIONS.join(', ')}`);
    return TLS_FLOOR;
  }
  const lowest =
    TLS_VERSIONS[Math.min(...listed.map((v) => (TLS_VERSIONS as readonly string[]).indexOf(v)))]!;
  if (TLS_VERSIONS.indexOf(lowest) >= TLS_VERSIONS.indexOf(TLS_FLOOR)) return lowest;
  if (reader.boolean(`${p}.ssl.allowLegacyTls`) === true) return lowest;
  reader.warn(
    name,
    `lists ${lowest}, older than TLS 1.2: the minimum stays ${TLS_FLOOR} (set ${p}.ssl.allowLegacyTls=true to allow it)`,
  );
  return TLS_FLOOR;
}

function saslMechanisms(reader: PropertyReader, name: string): string[] {
  const mechanisms = reader.list(name).map((m) => m.toUpperCase());
  if (!mechanisms.some((m) => OAUTH_MECHANISMS.includes(m))) {
    reader.issue(
      name,
      `a list including ${OAUTH_MECHANISMS.join(' or ')} (OAuth2 is the only way to sign in)`,
    );
  }
  return mechanisms;
}

function proxy(reader: PropertyReader, p: string): string | undefined {
  if (reader.has(`${p}.proxy.url`)) {
    const valid = reader.url(`${p}.proxy.url`, ['http:', 'https:'], 'proxy URL') !== undefined;
    return valid ? reader.string(`${p}.proxy.url`) : undefined;
  }
  const host = reader.string(`${p}.proxy.host`);
  if (host === undefined) return undefined;
  const port = reader.int(`${p}.proxy.port`);
  return `http://${host.includes(':') ? `[${host}]` : host}:${port ?? DEFAULT_PROXY_PORT}`;
}

/** Tokens must not travel in clear text unless the configuration says so. */
function checkTransportSecurity(
  reader: PropertyReader,
  p: string,
  ssl: boolean,
  starttls: boolean,
  starttlsRequired: boolean,
  allowInsecureAuth: boolean,
): void {
  if (allowInsecureAuth) return;
  if (!ssl && !starttls) {
    reader.issue(
      `${p}.ssl.enable`,
      `true, or ${p}.starttls.enable=true, or kalisto.auth.allowInsecure=true (tokens would be sent unencrypted)`,
    );
  } else if (!ssl && !starttlsRequired) {
    reader.issue(
      `${p}.starttls.required`,
      'true, unless kalisto.auth.allowInsecure=true (a server without STARTTLS would receive the token unencrypted)',
    );
  }
}

/**
 * The `mail.<protocol>.*` entries of `names` (in their order) grouped by protocol, in one pass, so
 * that building every protocol's settings costs O(properties), not O(protocols × properties).
 */
export function propertiesByProtocol(
  names: readonly string[],
  entries: ReadonlyMap<string, { readonly value: string }>,
): Map<string, (readonly [string, string])[]> {
  const groups = new Map<string, (readonly [string, string])[]>();
  for (const name of names) {
    const protocol = /^mail\.([^.]+)\./.exec(name)?.[1];
    if (protocol === undefined) continue;
    const entry = [name, entries.get(name)!.value] as const;
    const group = groups.get(protocol);
    if (group === undefined) groups.set(protocol, [entry]);
    else group.push(entry);
  }
  return groups;
}

/**
 * Builds the settings of one protocol from its `mail.<protocol>.*` properties; `properties` are
 * those entries (see {@link propertiesByProtocol}).
 */
export function buildProtocolSettings(
  reader: PropertyReader,
  protocol: string,
  defaultUser: string | undefined,
  allowInsecureAuth: boolean,
  properties: readonly (readonly [string, string])[],
): ProtocolSettings {
  const p = `mail.${protocol}`;
  const isStore = (STORE_PROTOCOLS as readonly string[]).includes(protocol);
  // Each has a default, so undefined means an invalid value (already reported).
  const ssl = reader.boolean(`${p}.ssl.enable`);
  const starttls = reader.boolean(`${p}.starttls.enable`);
  const starttlsRequired = reader.boolean(`${p}.starttls.required`);
  if (ssl !== undefined && starttls !== undefined && starttlsRequired !== undefined) {
    checkTransportSecurity(reader, p, ssl, starttls, starttlsRequired, allowInsecureAuth);
  }

  return {
    protocol,
    host: reader.string(`${p}.host`) ?? '',
    port: reader.int(`${p}.port`) ?? 0,
    ssl: ssl ?? true,
    starttls: starttls ?? false,
    starttlsRequired: starttlsRequired ?? !allowInsecureAuth,
    minTlsVersion: minTlsVersion(reader, p),
    checkServerIdentity: reader.boolean(`${p}.ssl.checkserveridentity`) ?? true,
    saslMechanisms: saslMechanisms(reader, `${p}.sasl.mechanisms`),
    auth: isStore || (reader.boolean(`${p}.auth`) ?? true),
    user: reader.string(`${p}.user`) ?? defaultUser,
    connectionTimeoutMs: reader.int(`${p}.connectiontimeout`) ?? 0,
    timeoutMs: reader.int(`${p}.timeout`) ?? 0,
    maxResponseBytes: reader.int(`${p}.maxResponseBytes`) ?? DEFAULT_MAX_RESPONSE_BYTES,
    from: isStore ? undefined : (reader.string(`${p}.from`) ?? reader.string('mail.from')),
    proxy: proxy(reader, p),
    providerClass: reader.string(`${p}.class`),
    properties: redactingPropertyMap(properties),
  };
}

/**
 * The settings of Microsoft Graph from its `mail.graph.*` rows: always HTTPS (TLS 1.2 at least,
 * the certificate and its host name verified), no SASL. Graph's own values (scope, retries, size
 * caps, Sent Items) stay in `properties` for `@kalisto/protocol-graph`, validated by the table.
 */
export function buildGraphSettings(
  reader: PropertyReader,
  defaultUser: string | undefined,
  properties: readonly (readonly [string, string])[],
): ProtocolSettings {
  const p = `mail.${GRAPH_PROTOCOL}`;
  const timeoutMs = reader.int(`${p}.timeout`) ?? 0;
  if (reader.list(`${p}.scope`).length === 0) reader.issue(`${p}.scope`, 'at least one scope');
  return {
    protocol: GRAPH_PROTOCOL,
    host: reader.string(`${p}.host`) ?? '',
    port: reader.int(`${p}.port`) ?? 0,
    ssl: true,
    starttls: false,
    starttlsRequired: true,
    minTlsVersion: TLS_FLOOR,
    checkServerIdentity: true,
    saslMechanisms: [],
    auth: true,
    user: reader.string(`${p}.user`) ?? defaultUser,
    connectionTimeoutMs: timeoutMs,
    timeoutMs,
    maxResponseBytes: reader.int(`${p}.maxResponseBytes`) ?? DEFAULT_MAX_RESPONSE_BYTES,
    from: reader.string(`${p}.from`) ?? reader.string('mail.from'),
    proxy: proxy(reader, p),
    providerClass: reader.string(`${p}.class`),
    properties: redactingPropertyMap(properties),
  };
}

/**
 * Checks `mail.store.protocol` or `mail.transport.protocol` and returns it. `graph` is both a
 * store and a transport.
 */
export function defaultProtocol(
  reader: PropertyReader,
  kind: 'store' | 'transport',
  customProtocols: readonly string[],
): string {
  const name = `mail.${kind}.protocol`;
  const own = [...(kind === 'store' ? STORE_PROTOCOLS : TRANSPORT_PROTOCOLS), GRAPH_PROTOCOL];
  const other = kind === 'store' ? TRANSPORT_PROTOCOLS : STORE_PROTOCOLS;
  const protocol = reader.string(name) ?? (kind === 'store' ? 'imap' : 'smtp');
  if ((other as readonly string[]).includes(protocol)) {
    reader.issue(name, `a ${kind} protocol (${own.join(', ')} or a custom one), not ${protocol}`);
  } else if (!own.includes(protocol) && !customProtocols.includes(protocol)) {
    reader.issue(
      name,
      `${own.join(', ')}, or a custom protocol configured with mail.${protocol}.* properties`,
    );
  }
  return protocol;
}
