import { QUEUE_PROPERTIES } from './queue/index.js';

/**
 * The `kalisto.relay.*` property table: every relay property, its kind, default and meaning, as
 * data. `docs/relay.md` prints the same table; `relay-config.ts` reads and checks against it.
 */

/** How a property's text is read. */
export type RelayPropertyKind = 'string' | 'int' | 'enum' | 'list' | 'secret' | 'pem';

/** Where a property sits: relay-wide, in a named listener, or in a named relay user. */
export type RelayPropertyScope = 'relay' | 'listener' | 'user';

/** The listener protocols. */
export const LISTENER_PROTOCOLS = ['smtp', 'imap', 'pop3'] as const;
export type ListenerProtocol = (typeof LISTENER_PROTOCOLS)[number];

/** How a listener admits clients. */
export const LISTENER_MODES = ['auth', 'trusted-networks'] as const;
export type ListenerMode = (typeof LISTENER_MODES)[number];

/** TLS towards the clients. */
export const LISTENER_TLS_MODES = ['none', 'starttls', 'implicit'] as const;
export type ListenerTlsMode = (typeof LISTENER_TLS_MODES)[number];

/** The TLS versions a listener may take as its floor, oldest first. */
export const LISTENER_TLS_VERSIONS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;
export type ListenerTlsVersion = (typeof LISTENER_TLS_VERSIONS)[number];

/** The queue kinds of `kalisto.relay.queue`. */
export const QUEUE_KINDS = ['none', 'spool', 'redis'] as const;
export type QueueKind = (typeof QUEUE_KINDS)[number];

/** One row of the table. `<name>` in `name` stands for a listener or user name. */
export interface RelayPropertyDefinition {
  readonly name: string;
  readonly scope: RelayPropertyScope;
  readonly kind: RelayPropertyKind;
  /** The value used when the property is absent, in its text form. */
  readonly default?: string;
  /** Set when the default depends on something else; says on what. */
  readonly derivedDefault?: string;
  readonly required?: boolean;
  /** Allowed values of an `enum`. */
  readonly values?: readonly string[];
  /** Inclusive range of an `int`. */
  readonly range?: readonly [min: number, max: number];
  /** The listener protocols the property applies to (listener rows; absent = all). */
  readonly protocols?: readonly ListenerProtocol[];
  readonly description: string;
}

export const RELAY_PREFIX = 'kalisto.relay.';
export const LISTENER_PREFIX = 'kalisto.relay.listener.';
export const USER_PREFIX = 'kalisto.relay.user.';
export const QUEUE_PREFIX = 'kalisto.relay.queue.';

/** Exchange Online's largest message (35 MB: 36,700,160 bytes), the default SIZE. */
export const EXCHANGE_MAX_MESSAGE_BYTES = 36_700_160;

const PORT: readonly [number, number] = [0, 65_535];
/** Node's timers cap at 2^31-1 ms. */
const DURATION_MS: readonly [number, number] = [1, 2_147_483_647];
const COUNT: readonly [number, number] = [1, 1_000_000];

const OWN_PROPERTIES: readonly RelayPropertyDefinition[] = [
  {
    name: 'kalisto.relay.listener.<name>.protocol',
    scope: 'listener',
    kind: 'enum',
    required: true,
    values: LISTENER_PROTOCOLS,
    description:
      'What the listener speaks: smtp (submission), imap or pop3. Its presence defines the listener.',
  },
  {
    name: 'kalisto.relay.listener.<name>.host',
    scope: 'listener',
    kind: 'string',
    default: '127.0.0.1',
    description:
      'Address to listen on (an IPv4 or IPv6 address, or localhost); 0.0.0.0 or :: for every interface.',
  },
  {
    name: 'kalisto.relay.listener.<name>.port',
    scope: 'listener',
    kind: 'int',
    required: true,
    range: PORT,
    description: 'Port to listen on (0 picks a free one; `relay.addresses` tells which).',
  },
  {
    name: 'kalisto.relay.listener.<name>.mode',
    scope: 'listener',
    kind: 'enum',
    default: 'auth',
    values: LISTENER_MODES,
    description:
      'auth: clients log in with a relay credential. trusted-networks (smtp only): clients from trustedNetworks send without AUTH, as one of allowedSenders.',
  },
  {
    name: 'kalisto.relay.listener.<name>.tls',
    scope: 'listener',
    kind: 'enum',
    default: 'starttls',
    values: LISTENER_TLS_MODES,
    description:
      'TLS towards the clients: starttls (STARTTLS/STLS on a plain port), implicit (TLS from the first byte) or none. auth mode needs TLS unless the listener binds loopback only.',
  },
  {
    name: 'kalisto.relay.listener.<name>.tls.minVersion',
    scope: 'listener',
    kind: 'enum',
    default: 'TLSv1.2',
    values: LISTENER_TLS_VERSIONS,
    description:
      'Oldest TLS version a client may use. Lower it (TLSv1.1, TLSv1) only for a device that cannot do better: both are broken.',
  },
  {
    name: 'kalisto.relay.listener.<name>.trustedNetworks',
    scope: 'listener',
    kind: 'list',
    protocols: ['smtp'],
    description:
      'trusted-networks mode: the client networks (CIDR, IPv4 or IPv6, e.g. 192.168.10.0/24, 2001:db8::/64; a bare address is one host) that may send without AUTH. Required there.',
  },
  {
    name: 'kalisto.relay.listener.<name>.allowedSenders',
    scope: 'listener',
    kind: 'list',
    protocols: ['smtp'],
    description:
      'Envelope senders (mailboxes) this listener accepts; any other MAIL FROM is refused. Required in trusted-networks mode (the sender is the mailbox whose session delivers), optional in auth mode.',
  },
  {
    name: 'kalisto.relay.listener.<name>.maxMessageBytes',
    scope: 'listener',
    kind: 'int',
    default: String(EXCHANGE_MAX_MESSAGE_BYTES),
    range: [1, 2_147_483_647],
    protocols: ['smtp'],
    description:
      "Largest message accepted, bytes, advertised with SIZE; a larger one gets 552. Default: Exchange Online's 35 MB.",
  },
  {
    name: 'kalisto.relay.listener.<name>.maxRecipients',
    scope: 'listener',
    kind: 'int',
    default: '500',
    range: COUNT,
    protocols: ['smtp'],
    description: 'Recipients of one message; the next RCPT gets 452 (Exchange Online allows 500).',
  },
  {
    name: 'kalisto.relay.listener.<name>.maxConnections',
    scope: 'listener',
    kind: 'int',
    default: '100',
    range: COUNT,
    description: 'Client connections held at once; one more is refused (421 for SMTP).',
  },
  {
    name: 'kalisto.relay.listener.<name>.timeout',
    scope: 'listener',
    kind: 'int',
    default: '300000',
    range: DURATION_MS,
    description:
      'SMTP: ms a client may stay silent before it is disconnected (RFC 5321 suggests 5 minutes). IMAP/POP3: the same before login (after login the upstream server decides).',
  },
  {
    name: 'kalisto.relay.listener.<name>.upstream',
    scope: 'listener',
    kind: 'string',
    derivedDefault:
      'smtp: mail.transport.protocol; imap/pop3: mail.store.protocol when it is of that kind, else imaps/pop3s',
    description:
      'The session protocol used upstream (its mail.<protocol>.* settings apply), e.g. smtp, smtps, imaps.',
  },
  {
    name: 'kalisto.relay.tls.cert',
    scope: 'relay',
    kind: 'pem',
    description:
      'Certificate chain (PEM) of every TLS listener: the PEM text, file:PATH or env:NAME. Required when a listener uses TLS.',
  },
  {
    name: 'kalisto.relay.tls.key',
    scope: 'relay',
    kind: 'secret',
    description:
      "The certificate's private key (PEM): file:PATH, env:NAME or the PEM text. Required with tls.cert.",
  },
  {
    name: 'kalisto.relay.user.<name>.password',
    scope: 'user',
    kind: 'secret',
    required: true,
    description:
      'Hash of the relay credential of login <name>, from `kalisto relay hash-password` (scrypt$…); a plain password is refused. May be file:PATH or env:NAME. Never the Microsoft password.',
  },
  {
    name: 'kalisto.relay.user.<name>.mailbox',
    scope: 'user',
    kind: 'string',
    required: true,
    description: 'The mailbox whose Kalisto session carries this login upstream (the session user).',
  },
  {
    name: 'kalisto.relay.lockout.attempts',
    scope: 'relay',
    kind: 'int',
    default: '5',
    range: COUNT,
    description: 'Failed logins of one user name within lockout.window that lock it for lockout.duration.',
  },
  {
    name: 'kalisto.relay.lockout.addressAttempts',
    scope: 'relay',
    kind: 'int',
    default: '20',
    range: COUNT,
    description:
      'Failed logins from one client address (any user name) within lockout.window that lock the address for lockout.duration.',
  },
  {
    name: 'kalisto.relay.lockout.window',
    scope: 'relay',
    kind: 'int',
    default: '900000',
    range: DURATION_MS,
    description: 'ms over which failed logins are counted.',
  },
  {
    name: 'kalisto.relay.lockout.duration',
    scope: 'relay',
    kind: 'int',
    default: '900000',
    range: DURATION_MS,
    description:
      'ms a locked user name or address is refused (454 / NO / -ERR) without its password being checked.',
  },
  {
    name: 'kalisto.relay.lockout.maxTracked',
    scope: 'relay',
    kind: 'int',
    default: '10000',
    range: COUNT,
    description:
      'User names and addresses tracked at once (each); beyond it the oldest entry is forgotten, so memory stays bounded under a spray of names.',
  },
  {
    name: 'kalisto.relay.queue',
    scope: 'relay',
    kind: 'enum',
    default: 'none',
    values: QUEUE_KINDS,
    description:
      'none: synchronous (250 only once upstream accepted). spool: a local directory (250 once on disk). redis: a queue shared by relay instances. kalisto.relay.queue.* configure it.',
  },
  {
    name: 'kalisto.relay.admin.host',
    scope: 'relay',
    kind: 'string',
    default: '127.0.0.1',
    description: 'Address of the admin HTTP server (/healthz, /metrics).',
  },
  {
    name: 'kalisto.relay.admin.port',
    scope: 'relay',
    kind: 'int',
    range: PORT,
    description: 'Port of the admin HTTP server; absent = no admin server (0 picks a free one).',
  },
  {
    name: 'kalisto.relay.shutdown.timeout',
    scope: 'relay',
    kind: 'int',
    default: '30000',
    range: DURATION_MS,
    description: 'ms stop() waits for messages in flight before it closes the remaining connections.',
  },
];

/** Every relay property: the relay's own and the queue's (`kalisto.relay.queue.*`, read by ./queue). */
export const RELAY_PROPERTIES: readonly RelayPropertyDefinition[] = [...OWN_PROPERTIES, ...QUEUE_PROPERTIES];

/** The table's rows by name (patterns keep `<name>`). */
export const RELAY_PROPERTY_BY_NAME: ReadonlyMap<string, RelayPropertyDefinition> = new Map(
  RELAY_PROPERTIES.map((row) => [row.name, row]),
);
