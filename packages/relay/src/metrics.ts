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

/** The relay's metrics, by what they count (their Prometheus names in docs/relay.md). */
export interface RelayMetrics {
  readonly registry: MetricsRegistry;
  /** `kalisto_relay_connections_total`: client connections accepted, by listener. */
  readonly connections: Counter;
  /** `kalisto_relay_logins_total`: credential checks, by listener and outcome. */
  readonly logins: Counter;
  /** `kalisto_relay_messages_total`: messages by listener and outcome. */
  readonly messages: Counter;
}

export function createRelayMetrics(source: MetricsSource): RelayMetrics {
  const registry = createMetricsRegistry(source);
  return {
    registry,
    connections: registry.counter(
      'kalisto.relay.connections',
      'Client connections accepted, by listener.',
      '{connection}',
    ),
    logins: registry.counter(
      'kalisto.relay.logins',
      'Relay credential checks, by listener and outcome (ok, failed, locked).',
      '{login}',
    ),
    messages: registry.counter(
      'kalisto.relay.messages',
      'Messages by listener and outcome: delivered, queued, refused (by the relay), rejected (upstream 5xx), deferred (4xx).',
      '{message}',
    ),
  };
}
