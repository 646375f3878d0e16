/**
 * The relay's metrics on OpenTelemetry instruments. `/metrics` is the Prometheus text of the
 * MeterProvider they record into — the same one the relay's Kalisto instance records core's
 * `kalisto.*` metrics into when it was created with it — and OTLP carries them when configured.
 * Counters also keep a local tally so the relay (and its tests) can read a value back.
 */
import type { ServiceTelemetry } from '@kalisto/opentelemetry';

type MeterProvider = ServiceTelemetry['meterProvider'];
type Attributes = Record<string, string>;

export type Labels = Readonly<Record<string, string>>;

export interface Counter {
  inc(labels?: Labels, by?: number): void;
  get(labels?: Labels): number;
}

export interface Gauge extends Counter {
  set(labels: Labels, value: number): void;
  dec(labels?: Labels, by?: number): void;
}

/** Where instruments record and what renders them: `ServiceTelemetry` from `@kalisto/opentelemetry`. */
export interface MetricsSource {
  readonly meterProvider: MeterProvider;
  /** Every metric of `meterProvider` as Prometheus text. */
  prometheusText(): Promise<string>;
}

export interface MetricsRegistry {
  /** A counter; `name` is the OpenTelemetry name (`kalisto.relay.logins` → `kalisto_relay_logins_total`). */
  counter(name: string, description: string, unit?: string): Counter;
  /** A value that goes up and down (an UpDownCounter). */
  gauge(name: string, description: string, unit?: string): Gauge;
  /**
   * A gauge whose values `collect` returns at collection time (e.g. the queue depth). A `collect`
   * that fails yields no samples; the scrape goes on.
   */
  collected(
    name: string,
    description: string,
    collect: () => Promise<readonly { labels: Labels; value: number }[]>,
    unit?: string,
  ): void;
  /** Every metric of the provider in Prometheus text format. */
  render(): Promise<string>;
}

/** The instrumentation scope of the relay's metrics. */
export const RELAY_METER = '@kalisto/relay';

// Sorted keys: one series per label set whatever order a caller wrote them in.
const sorted = (labels: Labels): Attributes =>
  Object.fromEntries(
    Object.keys(labels)
      .sort()
      .map((k) => [k, labels[k] as string]),
  );
const key = (labels: Labels) => JSON.stringify(sorted(labels));

export function createMetricsRegistry(source: MetricsSource): MetricsRegistry {
  const meter = source.meterProvider.getMeter(RELAY_METER);

  const tally = (record: (by: number, attributes: Attributes) => void): Gauge => {
    const values = new Map<string, number>();
    const add = (labels: Labels, by: number) => {
      const k = key(labels);
      values.set(k, (values.get(k) ?? 0) + by);
      record(by, sorted(labels));
    };
    return {
      inc: (labels = {}, by = 1) => add(labels, by),
      dec: (labels = {}, by = 1) => add(labels, -by),
      set: (labels, value) => add(labels, value - (values.get(key(labels)) ?? 0)),
      get: (labels = {}) => values.get(key(labels)) ?? 0,
    };
  };

  return {
    counter(name, description, unit) {
      const counter = meter.createCounter(name, { description, ...(unit ? { unit } : {}) });
      const { inc, get } = tally((by, attributes) => counter.add(by, attributes));
      return { inc, get };
    },
    gauge(name, description, unit) {
      const gauge = meter.createUpDownCounter(name, { description, ...(unit ? { unit } : {}) });
      return tally((by, attributes) => gauge.add(by, attributes));
    },
    collected(name, description, collect, unit) {
      meter
        .createObservableGauge(name, { description, ...(unit ? { unit } : {}) })
        .addCallback(async (result) => {
          const values = await collect().catch(() => []);
          for (const { labels, value } of values) result.observe(value, sorted(labels));
        });
    },
    render: () => source.prometheusText(),
  };
}

/** One of the relay's instruments: the table docs/relay.md and the Grafana dashboard are checked against. */
export interface RelayInstrument {
  /** OpenTelemetry name; Prometheus text shows it with `.` → `_` and counters ending `_total`. */
  readonly name: string;
  readonly kind: 'counter' | 'gauge';
  readonly unit: string;
  readonly description: string;
  readonly attributes: readonly string[];
}

export const RELAY_INSTRUMENTS = {
  connections: {
    name: 'kalisto.relay.connections',
    kind: 'counter',
    unit: '{connection}',
    description: 'Client connections accepted, by listener.',
    attributes: ['listener'],
  },
  activeConnections: {
    name: 'kalisto.relay.connections.active',
    kind: 'gauge',
    unit: '{connection}',
    description: 'Client connections open now, by listener.',
    attributes: ['listener'],
  },
  logins: {
    name: 'kalisto.relay.logins',
    kind: 'counter',
    unit: '{login}',
    description: 'Relay credential checks, by listener and outcome (ok, failed, locked).',
    attributes: ['listener', 'outcome'],
  },
  messages: {
    name: 'kalisto.relay.messages',
    kind: 'counter',
    unit: '{message}',
    description:
      'Messages by listener and outcome: delivered, partial, queued, refused (by the relay), rejected (upstream 5xx), deferred (4xx), dead.',
    attributes: ['listener', 'outcome'],
  },
  messagesInFlight: {
    name: 'kalisto.relay.messages.in_flight',
    kind: 'gauge',
    unit: '{message}',
    description: 'Messages between DATA and their reply.',
    attributes: [],
  },
  queueMessages: {
    name: 'kalisto.relay.queue.messages',
    kind: 'gauge',
    unit: '{message}',
    description: 'Messages in the queue, by state (every instance sharing it).',
    attributes: ['state'],
  },
} as const satisfies Record<string, RelayInstrument>;

/** The relay's metrics, by what they count. Gauges are read at collection time (`registry.collected`). */
export interface RelayMetrics {
  readonly registry: MetricsRegistry;
  readonly connections: Counter;
  readonly logins: Counter;
  readonly messages: Counter;
  /** Registers one of the table's gauges with the function that reads it. */
  observe(
    instrument: 'activeConnections' | 'messagesInFlight' | 'queueMessages',
    collect: () => Promise<readonly { labels: Labels; value: number }[]>,
  ): void;
}

export function createRelayMetrics(source: MetricsSource): RelayMetrics {
  const registry = createMetricsRegistry(source);
  const counter = ({ name, description, unit }: RelayInstrument) => registry.counter(name, description, unit);
  return {
    registry,
    connections: counter(RELAY_INSTRUMENTS.connections),
    logins: counter(RELAY_INSTRUMENTS.logins),
    messages: counter(RELAY_INSTRUMENTS.messages),
    observe(instrument, collect) {
      const { name, description, unit } = RELAY_INSTRUMENTS[instrument];
      registry.collected(name, description, collect, unit);
    },
  };
}
