/**
 * Reads a relay configuration: one property map (or `.properties` text) whose `kalisto.relay.*`
 * names configure the relay and whose other names are the base Kalisto session configuration.
 * Every problem — bad values, unknown relay names (with a suggestion), unsafe combinations — is
 * one `ConfigError` naming the properties. Secrets (key, password hashes) are kept as `Secret`s.
 */
import { isIP } from 'node:net';
import { ConfigError, type ConfigIssue, parseProperties, Secret } from '@kalisto/core';
import { resolveReference, suggest } from '@kalisto/core/plugin';
import { isLoopbackHost, parseNetwork } from './network-list.js';
import { type ParsedPasswordHash, parsePasswordHash } from './password-hash.js';
import { type DeliveryQueueOptions, queueOptionsFromProperties } from './queue/index.js';
import {
  EXCHANGE_MAX_MESSAGE_BYTES,
  LISTENER_PREFIX,
  type ListenerMode,
  type ListenerProtocol,
  type ListenerTlsMode,
  type ListenerTlsVersion,
  QUEUE_PREFIX,
  type QueueKind,
  RELAY_PREFIX,
  RELAY_PROPERTIES,
  RELAY_PROPERTY_BY_NAME,
  type RelayPropertyDefinition,
  USER_PREFIX,
} from './relay-properties.js';

/** One configured listener, every default applied. */
export interface ListenerConfig {
  /** The `<name>` of `kalisto.relay.listener.<name>.*`. */
  readonly name: string;
  readonly protocol: ListenerProtocol;
  readonly host: string;
  readonly port: number;
  readonly mode: ListenerMode;
  readonly tls: { readonly mode: ListenerTlsMode; readonly minVersion: ListenerTlsVersion };
  readonly trustedNetworks: readonly string[];
  /** Lower-case mailboxes; empty = any (auth mode only). */
  readonly allowedSenders: readonly string[];
  readonly maxMessageBytes: number;
  readonly maxRecipients: number;
  readonly maxConnections: number;
  readonly timeoutMs: number;
  /** `undefined`: the protocol's default (see the property table). */
  readonly upstream: string | undefined;
}

/** A relay login: its password hash and its mailbox. */
export interface RelayUser {
  /** The login name as configured (matched case-insensitively). */
  readonly name: string;
  readonly mailbox: string;
  /** The parsed scrypt hash (prints as `***` through `passwordHash`). */
  readonly passwordHash: Secret;
  readonly hash: ParsedPasswordHash;
}

export interface LockoutSettings {
  readonly attempts: number;
  readonly addressAttempts: number;
  readonly windowMs: number;
  readonly durationMs: number;
  readonly maxTracked: number;
}

/** The relay's configuration; `base` is the session configuration handed to core. */
export interface RelayConfig {
  readonly listeners: readonly ListenerConfig[];
  /** The listeners' certificate and key, when any listener uses TLS. */
  readonly tls: { readonly cert: string; readonly key: Secret } | undefined;
  readonly users: readonly RelayUser[];
  readonly lockout: LockoutSettings;
  readonly queue: {
    readonly kind: QueueKind;
    /** The queue's options from `kalisto.relay.queue.*` (references resolved); absent for `none`. */
    readonly options: DeliveryQueueOptions | undefined;
  };
  readonly admin: { readonly host: string; readonly port: number } | undefined;
  readonly shutdownTimeoutMs: number;
  /** Every property outside `kalisto.relay.*`: the base Kalisto session configuration. */
  readonly base: Readonly<Record<string, string>>;
}

/** What {@link loadRelayConfig} accepts: `.properties` text or a property map. */
export type RelayConfigInput =
  | string
  | ReadonlyMap<string, string | number | boolean | Secret | undefined>
  | Readonly<Record<string, string | number | boolean | Secret | undefined>>;

export interface LoadRelayConfigOptions {
  /** Where `env:NAME` references are looked up. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
}

const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const ARTICLED: Record<ListenerProtocol, string> = { smtp: 'an SMTP', imap: 'an IMAP', pop3: 'a POP3' };
const MAILBOX = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+$/;

function toMap(input: RelayConfigInput): Map<string, string> {
  const entries =
    typeof input === 'string'
      ? Object.entries(parseProperties(input))
      : input instanceof Map
        ? [...(input as ReadonlyMap<string, unknown>).entries()]
        : Object.entries(input as Record<string, unknown>);
  const map = new Map<string, string>();
  for (const [key, value] of entries) {
    if (value === undefined || value === null) continue;
    map.set(key, value instanceof Secret ? value.reveal() : String(value));
  }
  return map;
}

/** A property's table row: the name with a listener/user name replaced by `<name>`. */
interface Located {
  readonly row: RelayPropertyDefinition;
  readonly owner?: string;
}

function locate(property: string): Located | undefined {
  const direct = RELAY_PROPERTY_BY_NAME.get(property);
  if (direct) return { row: direct };
  if (property.startsWith(LISTENER_PREFIX)) {
    const rest = property.slice(LISTENER_PREFIX.length);
    const dot = rest.indexOf('.');
    if (dot <= 0) return undefined;
    const row = RELAY_PROPERTY_BY_NAME.get(`${LISTENER_PREFIX}<name>${rest.slice(dot)}`);
    return row && { row, owner: rest.slice(0, dot) };
  }
  if (property.startsWith(USER_PREFIX)) {
    // User names may contain dots (printer@contoso.example): the suffix is what is known.
    for (const suffix of ['.password', '.mailbox']) {
      if (property.endsWith(suffix) && property.length > USER_PREFIX.length + suffix.length) {
        const row = RELAY_PROPERTY_BY_NAME.get(`${USER_PREFIX}<name>${suffix}`);
        return row && { row, owner: property.slice(USER_PREFIX.length, -suffix.length) };
      }
    }
  }
  return undefined;
}

/** The closest known name to an unknown one, with the listener/user name carried over. */
function suggestionFor(property: string): string | undefined {
  const candidates = RELAY_PROPERTIES.map((row) => row.name);
  let generic = property;
  let owner: string | undefined;
  if (property.startsWith(LISTENER_PREFIX)) {
    const rest = property.slice(LISTENER_PREFIX.length);
    const dot = rest.indexOf('.');
    if (dot > 0) {
      owner = rest.slice(0, dot);
      generic = `${LISTENER_PREFIX}<name>${rest.slice(dot)}`;
    }
  } else if (property.startsWith(USER_PREFIX)) {
    const lastDot = property.lastIndexOf('.');
    if (lastDot > USER_PREFIX.length) {
      owner = property.slice(USER_PREFIX.length, lastDot);
      generic = `${USER_PREFIX}<name>${property.slice(lastDot)}`;
    }
  }
  const best = suggest(generic, candidates);
  return best && owner !== undefined ? best.replace('<name>', owner) : best;
}

class Reader {
  readonly issues: ConfigIssue[] = [];
  constructor(
    readonly values: ReadonlyMap<string, string>,
    readonly env: Readonly<Record<string, string | undefined>>,
  ) {}

  issue(property: string, expected: string, value?: string): void {
    this.issues.push(value === undefined ? { property, expected } : { property, value, expected });
  }

  /** The trimmed text of `property` (given, else the row's default). */
  text(property: string, row: RelayPropertyDefinition): string | undefined {
    const given = this.values.get(property);
    if (given === undefined) return row.default;
    const trimmed = given.trim();
    if (trimmed === '') {
      this.issue(
        property,
        `a value (leave the property out for ${row.default ? `the default ${row.default}` : 'none'})`,
        given,
      );
      return undefined;
    }
    return trimmed;
  }

  int(property: string, row: RelayPropertyDefinition): number | undefined {
    const text = this.text(property, row);
    if (text === undefined) return undefined;
    const [min, max] = row.range ?? [0, Number.MAX_SAFE_INTEGER];
    if (!/^\d{1,10}$/.test(text) || Number(text) < min || Number(text) > max) {
      this.issue(property, `a whole number ${min}-${max}`, text);
      return undefined;
    }
    return Number(text);
  }

  enum<T extends string>(property: string, row: RelayPropertyDefinition): T | undefined {
    const text = this.text(property, row);
    if (text === undefined) return undefined;
    if (!row.values?.includes(text)) {
      this.issue(property, `one of ${row.values?.join(', ')}`, text);
      return undefined;
    }
    return text as T;
  }

  list(property: string, row: RelayPropertyDefinition): string[] {
    const text = this.text(property, row);
    if (text === undefined) return [];
    return text
      .split(/[\s,]+/)
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '');
  }

  /** A value that may be `file:`/`env:`; the shown value is only ever the reference itself. */
  referenced(property: string, secret: boolean): string | undefined {
    const given = this.values.get(property)?.trim();
    if (given === undefined || given === '') return undefined;
    const resolved = resolveReference(given, this.env);
    if ('problem' in resolved) {
      const isReference = given.startsWith('env:') || given.startsWith('file:');
      this.issue(property, resolved.problem, isReference || !secret ? given : undefined);
      return undefined;
    }
    return resolved.value;
  }
}

function listenerNames(values: ReadonlyMap<string, string>): string[] {
  const names = new Set<string>();
  for (const property of values.keys()) {
    if (!property.startsWith(LISTENER_PREFIX)) continue;
    const rest = property.slice(LISTENER_PREFIX.length);
    const dot = rest.indexOf('.');
    if (dot > 0) names.add(rest.slice(0, dot));
  }
  return [...names];
}

function userNames(values: ReadonlyMap<string, string>): string[] {
  const names = new Set<string>();
  for (const property of values.keys()) {
    const owner = locate(property)?.owner;
    if (owner !== undefined && property.startsWith(USER_PREFIX)) names.add(owner);
  }
  return [...names];
}

const row = (name: string): RelayPropertyDefinition => {
  const found = RELAY_PROPERTY_BY_NAME.get(name);
  if (!found) throw new Error(`no relay property ${name}`);
  return found;
};

function readListener(reader: Reader, name: string): ListenerConfig | undefined {
  const p = (key: string) => `${LISTENER_PREFIX}${name}.${key}`;
  const r = (key: string) => row(`${LISTENER_PREFIX}<name>.${key}`);
  const before = reader.issues.length;
  if (!NAME.test(name)) {
    reader.issue(p('protocol'), 'a listener name of letters, digits, - and _ (at most 64)');
    return undefined;
  }
  if (!reader.values.has(p('protocol'))) {
    reader.issue(p('protocol'), `smtp, imap or pop3 (listener "${name}" has properties but no protocol)`);
    return undefined;
  }
  const protocol = reader.enum<ListenerProtocol>(p('protocol'), r('protocol'));
  const host = reader.text(p('host'), r('host')) ?? '127.0.0.1';
  if (host !== 'localhost' && isIP(host) === 0) {
    reader.issue(
      p('host'),
      'an IPv4 or IPv6 address to listen on (or localhost; 0.0.0.0 for every interface)',
      host,
    );
  }
  if (!reader.values.has(p('port'))) reader.issue(p('port'), 'a port number 0-65535 (0 picks a free one)');
  const port = reader.int(p('port'), r('port'));
  const mode = reader.enum<ListenerMode>(p('mode'), r('mode'));
  const tlsMode = reader.enum<ListenerTlsMode>(p('tls'), r('tls'));
  const minVersion = reader.enum<ListenerTlsVersion>(p('tls.minVersion'), r('tls.minVersion'));
  const trustedNetworks = reader.list(p('trustedNetworks'), r('trustedNetworks'));
  const allowedSenders = reader.list(p('allowedSenders'), r('allowedSenders')).map((s) => s.toLowerCase());
  const maxMessageBytes = reader.int(p('maxMessageBytes'), r('maxMessageBytes'));
  const maxRecipients = reader.int(p('maxRecipients'), r('maxRecipients'));
  const maxConnections = reader.int(p('maxConnections'), r('maxConnections'));
  const timeoutMs = reader.int(p('timeout'), r('timeout'));
  const upstream = reader.text(p('upstream'), r('upstream'));

  if (protocol !== undefined) {
    for (const key of ['trustedNetworks', 'allowedSenders', 'maxMessageBytes', 'maxRecipients']) {
      const applies = r(key).protocols;
      if (reader.values.has(p(key)) && applies && !applies.includes(protocol)) {
        reader.issue(
          p(key),
          `no such setting on ${ARTICLED[protocol]} listener (only ${applies.join(', ')})`,
        );
      }
    }
    if (protocol !== 'smtp' && mode === 'trusted-networks') {
      reader.issue(p('mode'), `auth: ${ARTICLED[protocol]} listener always needs a relay credential`, mode);
    }
  }
  for (const network of trustedNetworks) {
    const parsed = parseNetwork(network);
    if ('problem' in parsed) reader.issue(p('trustedNetworks'), parsed.problem, network);
  }
  for (const sender of allowedSenders) {
    if (!MAILBOX.test(sender))
      reader.issue(p('allowedSenders'), 'mailbox addresses (name@domain), separated by commas', sender);
  }
  if (mode === 'trusted-networks' && protocol === 'smtp') {
    // Never an open relay: both who may connect and whom they may send as must be listed.
    if (trustedNetworks.length === 0) {
      reader.issue(
        p('trustedNetworks'),
        'the client networks (CIDR) allowed to send without AUTH: trusted-networks mode needs them',
      );
    }
    if (allowedSenders.length === 0) {
      reader.issue(
        p('allowedSenders'),
        'the mailboxes these clients may send as: trusted-networks mode needs them',
      );
    }
  } else if (mode === 'auth' && reader.values.has(p('trustedNetworks'))) {
    reader.issue(
      p('trustedNetworks'),
      'mode=trusted-networks (in auth mode every client logs in; leave trustedNetworks out)',
    );
  }
  if (mode === 'auth' && tlsMode === 'none' && !isLoopbackHost(host)) {
    reader.issue(
      p('tls'),
      `starttls or implicit: in auth mode passwords would cross the network in clear text (${host} is not loopback-only)`,
      'none',
    );
  }
  if (reader.issues.length > before) return undefined;
  return {
    name,
    protocol: protocol as ListenerProtocol,
    host,
    port: port as number,
    mode: mode as ListenerMode,
    tls: { mode: tlsMode as ListenerTlsMode, minVersion: minVersion as ListenerTlsVersion },
    trustedNetworks,
    allowedSenders,
    maxMessageBytes: maxMessageBytes as number,
    maxRecipients: maxRecipients as number,
    maxConnections: maxConnections as number,
    timeoutMs: timeoutMs as number,
    upstream,
  };
}

function readUser(reader: Reader, name: string): RelayUser | undefined {
  const p = (key: string) => `${USER_PREFIX}${name}.${key}`;
  const mailbox = reader.values.get(p('mailbox'))?.trim();
  if (!mailbox) reader.issue(p('mailbox'), `the mailbox relay login "${name}" sends and reads as`);
  else if (!MAILBOX.test(mailbox)) reader.issue(p('mailbox'), 'a mailbox address (name@domain)', mailbox);
  if (!reader.values.has(p('password'))) {
    reader.issue(p('password'), 'a hash from `kalisto relay hash-password` (never the Microsoft password)');
    return undefined;
  }
  const text = reader.referenced(p('password'), true);
  if (text === undefined) return undefined;
  const hash = parsePasswordHash(text);
  // The value is never shown: it may be a password someone pasted by mistake.
  if ('problem' in hash) {
    reader.issue(p('password'), hash.problem);
    return undefined;
  }
  if (!mailbox || !MAILBOX.test(mailbox)) return undefined;
  return { name, mailbox: mailbox.toLowerCase(), passwordHash: new Secret(text), hash };
}

/** The queue's options; its own reader names bad `kalisto.relay.queue.*` values (and resolves redis.url's env:/file:). */
function readQueue(
  reader: Reader,
  kind: QueueKind | undefined,
  properties: Record<string, string>,
): DeliveryQueueOptions | undefined {
  if (kind === undefined) return undefined;
  if (kind === 'none') {
    for (const name of Object.keys(properties)) {
      reader.issue(`${QUEUE_PREFIX}${name}`, 'kalisto.relay.queue=spool or redis (the queue is off: none)');
    }
    return undefined;
  }
  try {
    return queueOptionsFromProperties(kind, properties, reader.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    reader.issues.push(...error.issues);
    return undefined;
  }
}

/**
 * Reads and checks a relay configuration.
 *
 * @throws ConfigError naming every bad, missing or unknown `kalisto.relay.*` property.
 */
export function loadRelayConfig(input: RelayConfigInput, options: LoadRelayConfigOptions = {}): RelayConfig {
  const values = toMap(input);
  const reader = new Reader(values, options.env ?? process.env);
  const base: Record<string, string> = {};
  const queueProperties: Record<string, string> = {};
  for (const [property, value] of values) {
    if (!property.startsWith(RELAY_PREFIX)) base[property] = value;
    else if (locate(property) === undefined) {
      const suggestion = suggestionFor(property);
      reader.issue(
        property,
        suggestion
          ? `a known relay property: did you mean ${suggestion}? (docs/relay.md lists them)`
          : 'a known relay property (docs/relay.md lists them)',
      );
    }
  }

  for (const [property, value] of values) {
    if (property.startsWith(QUEUE_PREFIX) && locate(property) !== undefined) {
      queueProperties[property.slice(QUEUE_PREFIX.length)] = value;
    }
  }

  const listeners = listenerNames(values)
    .map((name) => readListener(reader, name))
    .filter((listener): listener is ListenerConfig => listener !== undefined);
  if (listenerNames(values).length === 0) {
    reader.issue(`${LISTENER_PREFIX}<name>.protocol`, 'at least one listener (smtp, imap or pop3)');
  }
  const seen = new Map<string, string>();
  for (const listener of listeners) {
    if (listener.port === 0) continue;
    const key = `${listener.host}:${listener.port}`;
    const other = seen.get(key);
    if (other)
      reader.issue(
        `${LISTENER_PREFIX}${listener.name}.port`,
        `a port no other listener uses (listener "${other}" has ${key})`,
        String(listener.port),
      );
    seen.set(key, listener.name);
  }

  const users = userNames(values)
    .map((name) => readUser(reader, name))
    .filter((user): user is RelayUser => user !== undefined);
  const byLogin = new Set<string>();
  for (const user of users) {
    const login = user.name.toLowerCase();
    if (byLogin.has(login))
      reader.issue(
        `${USER_PREFIX}${user.name}.password`,
        'one user per login name (names are matched ignoring case)',
      );
    byLogin.add(login);
  }
  if (users.length === 0 && listeners.some((listener) => listener.mode === 'auth')) {
    reader.issue(
      `${USER_PREFIX}<name>.password`,
      'at least one relay user for the auth-mode listeners (kalisto relay hash-password makes the hash)',
    );
  }

  const needsTls = listeners.some((listener) => listener.tls.mode !== 'none');
  const certGiven = values.has('kalisto.relay.tls.cert');
  const keyGiven = values.has('kalisto.relay.tls.key');
  const cert = reader.referenced('kalisto.relay.tls.cert', false);
  const key = reader.referenced('kalisto.relay.tls.key', true);
  if (needsTls && !certGiven)
    reader.issue(
      'kalisto.relay.tls.cert',
      "the listeners' certificate (PEM, file:PATH or env:NAME): a listener uses TLS",
    );
  if ((needsTls || certGiven) && !keyGiven)
    reader.issue('kalisto.relay.tls.key', "the certificate's private key (file:PATH or env:NAME)");
  if (cert !== undefined && !cert.includes('-----BEGIN CERTIFICATE-----')) {
    reader.issue('kalisto.relay.tls.cert', 'a PEM certificate (-----BEGIN CERTIFICATE-----)');
  }
  if (key !== undefined && !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key)) {
    reader.issue('kalisto.relay.tls.key', 'a PEM private key (-----BEGIN … PRIVATE KEY-----)');
  }

  const lockoutRow = (k: string) => row(`kalisto.relay.lockout.${k}`);
  const lockout = {
    attempts: reader.int('kalisto.relay.lockout.attempts', lockoutRow('attempts')),
    addressAttempts: reader.int('kalisto.relay.lockout.addressAttempts', lockoutRow('addressAttempts')),
    windowMs: reader.int('kalisto.relay.lockout.window', lockoutRow('window')),
    durationMs: reader.int('kalisto.relay.lockout.duration', lockoutRow('duration')),
    maxTracked: reader.int('kalisto.relay.lockout.maxTracked', lockoutRow('maxTracked')),
  };
  const queueKind = reader.enum<QueueKind>('kalisto.relay.queue', row('kalisto.relay.queue'));
  const queue = readQueue(reader, queueKind, queueProperties);
  if (queue?.kind === 'redis') {
    const kept = queue.maxMessageBytes ?? EXCHANGE_MAX_MESSAGE_BYTES;
    for (const listener of listeners) {
      if (listener.protocol === 'smtp' && listener.maxMessageBytes > kept) {
        reader.issue(
          `${LISTENER_PREFIX}${listener.name}.maxMessageBytes`,
          `at most kalisto.relay.queue.redis.maxMessageBytes (${kept}): a message the listener accepts must fit in the queue`,
          String(listener.maxMessageBytes),
        );
      }
    }
  }
  const adminHost = reader.text('kalisto.relay.admin.host', row('kalisto.relay.admin.host')) ?? '127.0.0.1';
  if (adminHost !== 'localhost' && isIP(adminHost) === 0) {
    reader.issue('kalisto.relay.admin.host', 'an IPv4 or IPv6 address (or localhost)', adminHost);
  }
  const adminPort = reader.int('kalisto.relay.admin.port', row('kalisto.relay.admin.port'));
  const shutdownTimeoutMs = reader.int(
    'kalisto.relay.shutdown.timeout',
    row('kalisto.relay.shutdown.timeout'),
  );

  if (reader.issues.length > 0) {
    throw new ConfigError(reader.issues, {
      secrets: [key, queueProperties['redis.url'], ...users.map((user) => user.passwordHash)],
      hint: 'Fix the kalisto.relay.* properties listed above (docs/relay.md has the table).',
    });
  }
  return {
    listeners,
    tls: cert !== undefined && key !== undefined ? { cert, key: new Secret(key) } : undefined,
    users,
    lockout: lockout as LockoutSettings,
    queue: { kind: queueKind as QueueKind, options: queue },
    admin: adminPort === undefined ? undefined : { host: adminHost, port: adminPort },
    shutdownTimeoutMs: shutdownTimeoutMs as number,
    base,
  };
}
