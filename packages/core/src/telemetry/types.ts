// The part of @opentelemetry/api that Kalisto uses, written out structurally: core's declarations never
// require the optional peer, and an SDK's MeterProvider / TracerProvider is assignable to these.

/** An attribute value Kalisto records: low-cardinality strings, numbers, booleans. */
export type TelemetryAttributeValue = string | number | boolean;
export type TelemetryAttributes = Record<string, TelemetryAttributeValue | undefined>;

export interface Counter {
  add(value: number, attributes?: TelemetryAttributes): void;
}
export interface UpDownCounter {
  add(value: number, attributes?: TelemetryAttributes): void;
}
export interface Histogram {
  record(value: number, attributes?: TelemetryAttributes): void;
}
export interface ObservableResult {
  observe(value: number, attributes?: TelemetryAttributes): void;
}
export type ObservableCallback = (result: ObservableResult) => void | Promise<void>;
export interface ObservableGauge {
  addCallback(callback: ObservableCallback): void;
  removeCallback(callback: ObservableCallback): void;
}

export interface InstrumentOptions {
  description?: string;
  unit?: string;
  advice?: { explicitBucketBoundaries?: number[] };
}

export interface Meter {
  createCounter(name: string, options?: InstrumentOptions): Counter;
  createUpDownCounter(name: string, options?: InstrumentOptions): UpDownCounter;
  createHistogram(name: string, options?: InstrumentOptions): Histogram;
  createObservableGauge(name: string, options?: InstrumentOptions): ObservableGauge;
}

/** A source of meters: an SDK's `MeterProvider`, or the global one. */
export interface MeterProvider {
  getMeter(name: string, version?: string): Meter;
}

/** `SpanStatusCode`: 0 unset, 1 ok, 2 error. */
export interface SpanStatus {
  code: 0 | 1 | 2;
  message?: string;
}

export interface Span {
  setAttribute(key: string, value: TelemetryAttributeValue): unknown;
  setStatus(status: SpanStatus): unknown;
  addEvent(name: string, attributes?: TelemetryAttributes): unknown;
  end(): void;
}

export interface SpanOptions {
  attributes?: TelemetryAttributes;
  /** `SpanKind`: 0 internal, 2 client. */
  kind?: number;
}

export interface Tracer {
  /** `context` is an OpenTelemetry `Context` (opaque here). */
  startSpan(name: string, options?: SpanOptions, context?: unknown): Span;
}

/** A source of tracers: an SDK's `TracerProvider` (e.g. `BasicTracerProvider`), or the global one. */
export interface TracerProvider {
  getTracer(name: string, version?: string): Tracer;
}
