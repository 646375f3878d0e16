/**
 * A tiny metrics registry (counters and gauges with labels) written as Prometheus text format
 * 0.0.4 — enough for /metrics without a client library.
 */

export type Labels = Readonly<Record<string, string>>;

interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge';
  readonly values: Map<string, { labels: Labels; value: number }>;
  /** Gauges read at scrape time. */
  collect?: () => Promise<readonly { labels: Labels; value: number }[]>;
}

export interface Counter {
  inc(labels?: Labels, by?: number): void;
  get(labels?: Labels): number;
}

export interface Gauge extends Counter {
  set(labels: Labels, value: number): void;
  dec(labels?: Labels, by?: number): void;
}

export interface MetricsRegistry {
  counter(name: string, help: string): Counter;
  gauge(name: string, help: string): Gauge;
  /** A gauge whose values `collect` returns at scrape time (e.g. the queue depth). */
  collected(
    name: string,
    help: string,
    collect: () => Promise<readonly { labels: Labels; value: number }[]>,
  ): void;
  /** Every family in Prometheus text format. */
  render(): Promise<string>;
}

const key = (labels: Labels) =>
  Object.keys(labels)
    .sort()
    .map((name) => `${name}=${labels[name]}`)
    .join(',');

const escapeLabel = (value: string) =>
  value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

function line(name: string, labels: Labels, value: number): string {
  const names = Object.keys(labels).sort();
  const text = names.map((label) => `${label}="${escapeLabel(String(labels[label]))}"`).join(',');
  return `${name}${text ? `{${text}}` : ''} ${Number.isFinite(value) ? value : 0}`;
}

export function createMetricsRegistry(): MetricsRegistry {
  const families = new Map<string, Family>();

  const family = (name: string, help: string, type: Family['type']): Family => {
    const existing = families.get(name);
    if (existing) return existing;
    const created: Family = { name, help, type, values: new Map() };
    families.set(name, created);
    return created;
  };

  const series = (f: Family, labels: Labels) => {
    const k = key(labels);
    let entry = f.values.get(k);
    if (!entry) {
      entry = { labels: { ...labels }, value: 0 };
      f.values.set(k, entry);
    }
    return entry;
  };

  const instrument = (f: Family): Gauge => ({
    inc(labels = {}, by = 1) {
      series(f, labels).value += by;
    },
    dec(labels = {}, by = 1) {
      series(f, labels).value -= by;
    },
    set(labels, value) {
      series(f, labels).value = value;
    },
    get(labels = {}) {
      return f.values.get(key(labels))?.value ?? 0;
    },
  });

  return {
    counter: (name, help) => instrument(family(name, help, 'counter')),
    gauge: (name, help) => instrument(family(name, help, 'gauge')),
    collected(name, help, collect) {
      family(name, help, 'gauge').collect = collect;
    },
    async render() {
      const out: string[] = [];
      for (const f of families.values()) {
        out.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
        const values = f.collect ? await f.collect().catch(() => []) : [...f.values.values()];
        for (const { labels, value } of values) out.push(line(f.name, labels, value));
      }
      return `${out.join('\n')}\n`;
    },
  };
}

/** The relay's metrics, by what they count. */
export interface RelayMetrics {
  readonly registry: MetricsRegistry;
  readonly connections: Counter;
  readonly activeConnections: Gauge;
  readonly logins: Counter;
  readonly messages: Counter;
}

export function createRelayMetrics(registry = createMetricsRegistry()): RelayMetrics {
  return {
    registry,
    connections: registry.counter(
      'kalisto_relay_connections_total',
      'Client connections accepted, by listener.',
    ),
    activeConnections: registry.gauge(
      'kalisto_relay_connections_active',
      'Client connections open now, by listener.',
    ),
    logins: registry.counter(
      'kalisto_relay_logins_total',
      'Relay credential checks, by listener and outcome (ok, failed, locked).',
    ),
    messages: registry.counter(
      'kalisto_relay_messages_total',
      'Messages by listener and outcome: delivered, queued, refused (by the relay), rejected (upstream 5xx), deferred (4xx).',
    ),
  };
}
