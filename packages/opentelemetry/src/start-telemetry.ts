/**
 * `startTelemetry`: the OpenTelemetry SDK set up the way a Kalisto service runs it — a MeterProvider
 * with Prometheus text on demand, OTLP metrics and traces when the standard OTEL_* variables name a
 * collector, and a bounded shutdown that flushes both.
 */
import {
  type MeterProvider as ApiMeterProvider,
  type TracerProvider as ApiTracerProvider,
  metrics,
  trace,
} from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { type IMetricReader, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { AlwaysOffSampler, BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { type Env, readOtelEnv } from './otel-env.js';
import { prometheusText } from './prometheus.js';

/** A pino-shaped logger (Kalisto's `Logger`); only `info` is used. */
export interface TelemetryLogger {
  info(obj: object, msg?: string): void;
}

export interface StartTelemetryOptions {
  /** `service.name` of the resource, unless OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES sets it. */
  serviceName: string;
  /** `service.version` of the resource. */
  serviceVersion?: string;
  /** Keep the metrics for Prometheus text (`prometheusText()`). Default true. */
  prometheus?: boolean;
  /** Where the OTEL_* variables are read. Default `process.env`. */
  env?: Env;
  /** How long `shutdown()` may take to flush, ms. Default 5000. */
  shutdownTimeoutMs?: number;
  /** Says which exports are on (never their endpoints or headers). Silent without one. */
  logger?: TelemetryLogger;
}

export interface ServiceTelemetry {
  /** Pass to `createKalisto({ telemetry: { meterProvider, tracerProvider } })` and to the relay. */
  readonly meterProvider: ApiMeterProvider;
  /** Records spans only when OTLP traces are exported. */
  readonly tracerProvider: ApiTracerProvider;
  /** What is exported over OTLP (false: that signal stays in the process). */
  readonly otlp: { readonly metrics: boolean; readonly traces: boolean };
  /** Every metric of `meterProvider` as Prometheus text (format 0.0.4); empty without `prometheus`. */
  prometheusText(): Promise<string>;
  /**
   * Registers both providers as `@opentelemetry/api`'s global ones (what a Kalisto instance created
   * without explicit providers uses) — for a program that is one service, like the CLI. False when
   * another SDK registered first (it is left alone). `shutdown()` unregisters them.
   */
  registerGlobal(): boolean;
  /** Exports what is pending and stops, within `shutdownTimeoutMs`. Idempotent; never throws. */
  shutdown(): Promise<void>;
}

/**
 * Starts the SDK for one service.
 *
 * @throws TelemetryConfigError naming the OTEL_* variable that is malformed.
 */
export function startTelemetry(options: StartTelemetryOptions): ServiceTelemetry {
  if (typeof options?.serviceName !== 'string' || options.serviceName.trim() === '') {
    throw new TypeError('[telemetry] startTelemetry needs serviceName (e.g. "kalisto-relay").');
  }
  const config = readOtelEnv(options.env ?? process.env);
  const resource = defaultResource().merge(
    resourceFromAttributes({
      'service.name': options.serviceName,
      ...(options.serviceVersion ? { 'service.version': options.serviceVersion } : {}),
      ...config.resourceAttributes,
      ...(config.serviceName ? { 'service.name': config.serviceName } : {}),
    }),
  );
  const prometheus = options.prometheus === false ? undefined : prometheusText();
  const readers: IMetricReader[] = prometheus ? [prometheus.reader] : [];
  if (config.metrics) {
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({ url: config.metrics.url, headers: { ...config.metrics.headers } }),
        exportIntervalMillis: config.metricExportIntervalMs,
        exportTimeoutMillis: Math.min(config.metricExportTimeoutMs, config.metricExportIntervalMs),
      }),
    );
  }
  const meterProvider = new MeterProvider({ resource, readers });
  const tracerProvider = new BasicTracerProvider({
    resource,
    ...(config.traces
      ? {
          spanProcessors: [
            new BatchSpanProcessor(
              new OTLPTraceExporter({ url: config.traces.url, headers: { ...config.traces.headers } }),
            ),
          ],
        }
      : { sampler: new AlwaysOffSampler() }),
  });
  const otlp = { metrics: config.metrics !== undefined, traces: config.traces !== undefined };
  options.logger?.info(
    {
      otlpMetrics: otlp.metrics,
      otlpTraces: otlp.traces,
      prometheus: prometheus !== undefined,
      sdkDisabled: config.disabled,
    },
    'Telemetry started',
  );

  const timeoutMs = options.shutdownTimeoutMs ?? 5_000;
  let stopping: Promise<void> | undefined;
  let global = false;
  const stop = async () => {
    if (global) {
      metrics.disable();
      trace.disable();
    }
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      timer.unref();
    });
    const flush = Promise.allSettled([
      meterProvider.shutdown({ timeoutMillis: timeoutMs }),
      tracerProvider.shutdown(),
    ]).then(() => undefined);
    await Promise.race([flush, bound]);
    clearTimeout(timer);
  };

  return {
    meterProvider,
    tracerProvider,
    otlp,
    prometheusText: async () => (prometheus && !stopping ? prometheus.text() : ''),
    registerGlobal() {
      if (global) return true;
      const meters = metrics.setGlobalMeterProvider(meterProvider);
      const tracers = meters && trace.setGlobalTracerProvider(tracerProvider);
      if (meters && !tracers) metrics.disable();
      global = tracers;
      return global;
    },
    shutdown() {
      stopping ??= stop();
      return stopping;
    },
  };
}
