export {
  type Env,
  type OtelEnvConfig,
  type OtlpTarget,
  readOtelEnv,
  TelemetryConfigError,
} from './otel-env.js';
export { PROMETHEUS_CONTENT_TYPE } from './prometheus.js';
export {
  type ServiceTelemetry,
  type StartTelemetryOptions,
  startTelemetry,
  type TelemetryLogger,
} from './start-telemetry.js';
