// telemetry/ — OpenTelemetry metrics and spans through the optional peer @opentelemetry/api: the
// instruments table, the recorder (no-ops without an SDK) and its secret guard.

export { errorType } from './error-attributes.js';
export { isSafeAttribute } from './guard.js';
export {
  INSTRUMENTS,
  type InstrumentKind,
  type InstrumentSpec,
  SPANS,
  type SpanName,
  type SpanSpec,
} from './instruments.js';
export {
  type CacheOperation,
  type CacheResult,
  type CredentialExpiryReading,
  type CredentialKind,
  type KalistoSpan,
  type KalistoTelemetry,
  noopTelemetry,
  type TelemetryOutcome,
  type TokenSource,
} from './kalisto-telemetry.js';
export { createTelemetry, TELEMETRY_SCOPE, type TelemetryOptions, telemetryOf } from './recorder.js';
export type {
  Meter,
  MeterProvider,
  Span,
  TelemetryAttributes,
  TelemetryAttributeValue,
  Tracer,
  TracerProvider,
} from './types.js';
