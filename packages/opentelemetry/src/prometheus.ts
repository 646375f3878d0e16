/**
 * Prometheus text on demand: OpenTelemetry's Prometheus exporter as a pull reader without its own
 * HTTP server, so the service's existing server (the relay's admin server, the CLI's --metrics)
 * serves it.
 */
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';

/** The content type of Prometheus text format 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface PrometheusText {
  /** The reader to register on the MeterProvider. */
  readonly reader: PrometheusExporter;
  /** Every metric of the provider, as Prometheus text. */
  text(): Promise<string>;
}

export function prometheusText(): PrometheusText {
  // Scope labels (otel_scope_name) on every sample would change the names' label sets users
  // already query; the resource stays visible as target_info.
  const reader = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true });
  const serializer = new PrometheusSerializer(undefined, false, undefined, false, true);
  return {
    reader,
    async text() {
      const { resourceMetrics } = await reader.collect();
      return serializer.serialize(resourceMetrics);
    },
  };
}
