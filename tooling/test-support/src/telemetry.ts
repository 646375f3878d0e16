// An in-memory OpenTelemetry SDK for tests: pass its providers to createKalisto({ telemetry }), run,
// then read every metric point and finished span.
import {
  type DataPoint,
  DataPointType,
  type Histogram,
  MeterProvider,
  MetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

export type PointAttributes = Record<string, unknown>;

/** One collected point: a counter's or gauge's value, or a histogram's count and sum. */
export interface MetricPoint {
  attributes: PointAttributes;
  /** Counters, up-down counters, gauges: the value; histograms: the count of recordings. */
  value: number;
  /** Histograms only: the sum of recordings. */
  sum?: number;
}

/** Every point collected, by instrument name. */
export interface CollectedMetrics {
  readonly names: readonly string[];
  points(name: string): MetricPoint[];
  /** The sum of `value` over the points of `name` whose attributes include `match`. */
  total(name: string, match?: PointAttributes): number;
  /** Every instrument's description and unit, by name. */
  descriptors: ReadonlyMap<string, { description: string; unit: string; type: string }>;
}

export interface InMemoryTelemetry {
  meterProvider: MeterProvider;
  tracerProvider: BasicTracerProvider;
  /** Collects now (cumulative since the start). */
  metrics(): Promise<CollectedMetrics>;
  /** The spans ended so far. */
  spans(): ReadableSpan[];
  /** The spans named `name`. */
  spansNamed(name: string): ReadableSpan[];
  shutdown(): Promise<void>;
}

/** A reader that only collects when asked. */
class OnDemandReader extends MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

export function createInMemoryTelemetry(): InMemoryTelemetry {
  const reader = new OnDemandReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

  return {
    meterProvider,
    tracerProvider,
    async metrics() {
      const { resourceMetrics, errors } = await reader.collect();
      if (errors.length > 0) throw new AggregateError(errors, 'Collecting metrics failed');
      const byName = new Map<string, MetricPoint[]>();
      const descriptors = new Map<string, { description: string; unit: string; type: string }>();
      for (const scope of resourceMetrics.scopeMetrics) {
        for (const metric of scope.metrics) {
          const { name, description, unit } = metric.descriptor;
          descriptors.set(name, { description, unit, type: DataPointType[metric.dataPointType] });
          const points = byName.get(name) ?? [];
          for (const point of metric.dataPoints as DataPoint<number | Histogram>[]) {
            points.push(toPoint(point, metric.dataPointType));
          }
          byName.set(name, points);
        }
      }
      const points = (name: string) => byName.get(name) ?? [];
      return {
        names: [...byName.keys()].sort(),
        points,
        total: (name, match = {}) =>
          points(name)
            .filter((point) => Object.entries(match).every(([key, value]) => point.attributes[key] === value))
            .reduce((sum, point) => sum + point.value, 0),
        descriptors,
      };
    },
    spans: () => exporter.getFinishedSpans(),
    spansNamed: (name) => exporter.getFinishedSpans().filter((span) => span.name === name),
    async shutdown() {
      await meterProvider.shutdown();
      await tracerProvider.shutdown();
    },
  };
}

function toPoint(point: DataPoint<number | Histogram>, type: DataPointType): MetricPoint {
  const attributes = { ...point.attributes };
  if (type === DataPointType.HISTOGRAM || type === DataPointType.EXPONENTIAL_HISTOGRAM) {
    const histogram = point.value as Histogram;
    return { attributes, value: histogram.count, sum: histogram.sum ?? 0 };
  }
  return { attributes, value: point.value as number };
}
