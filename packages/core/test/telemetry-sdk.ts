// OpenTelemetry's SDK in memory for core's unit tests (core cannot use @kalisto/test-support/telemetry:
// that package depends on core).
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

class OnDemandReader extends MetricReader {
  protected onForceFlush = () => Promise.resolve();
  protected onShutdown = () => Promise.resolve();
}

type Attributes = Record<string, unknown>;

export function inMemorySdk() {
  const reader = new OnDemandReader();
  const exporter = new InMemorySpanExporter();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return {
    meterProvider,
    tracerProvider,
    async metrics() {
      const { resourceMetrics } = await reader.collect();
      const metrics = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics);
      const points = (name: string) =>
        metrics
          .filter((metric) => metric.descriptor.name === name)
          .flatMap((metric) =>
            metric.dataPoints.map(({ attributes, value }) => ({
              attributes: attributes as Attributes,
              value: typeof value === 'number' ? value : (value as { count: number }).count,
            })),
          );
      return {
        names: metrics.map((metric) => metric.descriptor.name).sort(),
        descriptors: new Map(metrics.map((metric) => [metric.descriptor.name, metric.descriptor])),
        points,
        /** The sum over the points of `name` whose attributes include `match`. */
        total: (name: string, match: Attributes = {}) =>
          points(name)
            .filter((point) => Object.entries(match).every(([key, value]) => point.attributes[key] === value))
            .reduce((sum, point) => sum + point.value, 0),
      };
    },
    spans: () => exporter.getFinishedSpans(),
    spansNamed: (name: string) => exporter.getFinishedSpans().filter((span) => span.name === name),
    shutdown: () => Promise.all([meterProvider.shutdown(), tracerProvider.shutdown()]),
  };
}
