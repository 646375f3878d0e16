// Every metric and span Kalisto records, as data. docs/observability.md has the same tables
// (a test compares them cell by cell); the recorder creates its instruments from this one.

export type InstrumentKind = 'counter' | 'histogram' | 'updowncounter' | 'gauge';

export interface InstrumentSpec {
  readonly name: string;
  readonly kind: InstrumentKind;
  /** UCUM unit: `s`, or a `{thing}` annotation for counts. */
  readonly unit: string;
  readonly description: string;
  /** The attribute keys it is recorded with (some only when they apply, e.g. `error.type`). */
  readonly attributes: readonly string[];
}

export interface SpanSpec {
  readonly name: string;
  readonly description: string;
  readonly attributes: readonly string[];
}

/** Histogram bucket boundaries for durations in seconds (the SDK's default ones are for milliseconds). */
export const DURATION_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

export const INSTRUMENTS = [
  {
    name: 'kalisto.token.requests',
    kind: 'counter',
    unit: '{request}',
    description: 'Requests to the token provider (the identity platform), one per attempt, retries included',
    attributes: [
      'kalisto.token.provider',
      'kalisto.token.flow',
      'kalisto.outcome',
      'error.type',
      'kalisto.aadsts',
    ],
  },
  {
    name: 'kalisto.token.request.duration',
    kind: 'histogram',
    unit: 's',
    description: 'Duration of one request to the token provider',
    attributes: ['kalisto.token.provider', 'kalisto.token.flow', 'kalisto.outcome'],
  },
  {
    name: 'kalisto.token.acquisitions',
    kind: 'counter',
    unit: '{token}',
    description: 'Tokens handed out by the token manager, by where they came from',
    attributes: ['kalisto.token.provider', 'kalisto.token.source'],
  },
  {
    name: 'kalisto.token.lock.wait.duration',
    kind: 'histogram',
    unit: 's',
    description: "Waits for another process's token while it holds the cache lock",
    attributes: ['kalisto.outcome'],
  },
  {
    name: 'kalisto.cache.operations',
    kind: 'counter',
    unit: '{operation}',
    description: 'Operations on the shared token cache, by backend and result',
    attributes: ['kalisto.cache.backend', 'kalisto.cache.operation', 'kalisto.cache.result'],
  },
  {
    name: 'kalisto.mail.logins',
    kind: 'counter',
    unit: '{login}',
    description: 'Mail client opens (connect and authenticate), by protocol and classified outcome',
    attributes: ['kalisto.protocol', 'kalisto.outcome', 'error.type', 'kalisto.aadsts'],
  },
  {
    name: 'kalisto.mail.connect.duration',
    kind: 'histogram',
    unit: 's',
    description: 'From connecting to authenticated, token included',
    attributes: ['kalisto.protocol', 'server.address', 'kalisto.outcome'],
  },
  {
    name: 'kalisto.mail.connections',
    kind: 'updowncounter',
    unit: '{connection}',
    description: 'Mail clients open now',
    attributes: ['kalisto.protocol'],
  },
  {
    name: 'kalisto.mail.command.duration',
    kind: 'histogram',
    unit: 's',
    description: 'Duration of one protocol command',
    attributes: ['kalisto.protocol', 'kalisto.mail.command', 'kalisto.outcome', 'error.type'],
  },
  {
    name: 'kalisto.mail.reconnects',
    kind: 'counter',
    unit: '{reconnect}',
    description:
      'Connects or logins repeated: a reset before the greeting, a token refused and renewed, a watch reconnecting',
    attributes: ['kalisto.protocol', 'kalisto.reconnect.reason'],
  },
  {
    name: 'kalisto.mail.watch.renewals',
    kind: 'counter',
    unit: '{renewal}',
    description: 'Renewals of a watch (IDLE restarts, Graph subscription renewals)',
    attributes: ['kalisto.protocol', 'kalisto.outcome'],
  },
  {
    name: 'kalisto.credential.expiry',
    kind: 'gauge',
    unit: 's',
    description: 'Seconds until a credential expires (negative once expired)',
    attributes: ['kalisto.credential.kind', 'kalisto.token.provider'],
  },
] as const satisfies readonly InstrumentSpec[];

export type InstrumentName = (typeof INSTRUMENTS)[number]['name'];

export const SPANS = [
  {
    name: 'kalisto.token.acquire',
    description:
      'The token manager looking for a token its memory does not hold: shared cache, lock, token provider',
    attributes: [
      'kalisto.token.provider',
      'kalisto.token.flow',
      'kalisto.token.source',
      'error.type',
      'kalisto.aadsts',
    ],
  },
  {
    name: 'kalisto.mail.connect',
    description: 'Opening a mail client: connect, TLS, token, authenticate',
    attributes: ['kalisto.protocol', 'server.address', 'server.port', 'error.type'],
  },
  {
    name: 'kalisto.mail.tls',
    description: 'The TLS handshake (child of kalisto.mail.connect)',
    attributes: ['kalisto.protocol', 'server.address'],
  },
  {
    name: 'kalisto.mail.sasl',
    description: 'The SASL exchange with the token (child of kalisto.mail.connect)',
    attributes: ['kalisto.protocol', 'kalisto.sasl.mechanism', 'error.type'],
  },
  {
    name: 'kalisto.mail.watch.reconnect',
    description: 'A watch reconnecting after its connection dropped',
    attributes: ['kalisto.protocol', 'error.type'],
  },
] as const satisfies readonly SpanSpec[];

export type SpanName = (typeof SPANS)[number]['name'];
