/**
 * Reads the standard OTEL_* environment variables into a checked configuration. A bad value is an
 * error naming the variable and what to do; the value itself is never repeated (an endpoint can
 * carry credentials, headers carry API keys).
 */

export type Env = Readonly<Record<string, string | undefined>>;

/** What the environment asks for. */
export interface OtelEnvConfig {
  /** OTEL_SDK_DISABLED=true: no OTLP export, no traces (Prometheus text stays: nothing leaves the process). */
  readonly disabled: boolean;
  /** OTEL_SERVICE_NAME, when set. */
  readonly serviceName: string | undefined;
  /** OTEL_RESOURCE_ATTRIBUTES, decoded. */
  readonly resourceAttributes: Readonly<Record<string, string>>;
  /** Where OTLP metrics go (undefined: not exported). */
  readonly metrics: OtlpTarget | undefined;
  /** Where OTLP spans go (undefined: not exported). */
  readonly traces: OtlpTarget | undefined;
  /** OTEL_METRIC_EXPORT_INTERVAL, ms (default 60000). */
  readonly metricExportIntervalMs: number;
  /** OTEL_METRIC_EXPORT_TIMEOUT, ms (default 30000). */
  readonly metricExportTimeoutMs: number;
}

export interface OtlpTarget {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** A bad OTEL_* variable. `variable` names it; the message never contains its value. */
export class TelemetryConfigError extends Error {
  readonly code = 'TELEMETRY_CONFIG_INVALID';
  readonly variable: string;
  constructor(variable: string, problem: string, fix: string) {
    super(`[telemetry] ${variable} ${problem}. ${fix}`);
    this.name = 'TelemetryConfigError';
    this.variable = variable;
  }
}

const value = (env: Env, name: string): string | undefined => {
  const raw = env[name]?.trim();
  return raw === undefined || raw === '' ? undefined : raw;
};

function flag(env: Env, name: string): boolean {
  const raw = value(env, name)?.toLowerCase();
  if (raw === undefined || raw === 'false') return false;
  if (raw === 'true') return true;
  throw new TelemetryConfigError(name, 'is neither true nor false', `Set ${name}=true or unset it.`);
}

function milliseconds(env: Env, name: string, fallback: number): number {
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  const ms = Number(raw);
  if (!/^\d+$/.test(raw) || ms <= 0) {
    throw new TelemetryConfigError(
      name,
      'is not a positive whole number of milliseconds',
      `E.g. ${name}=${fallback}.`,
    );
  }
  return ms;
}

function endpoint(env: Env, name: string, path?: string): string | undefined {
  const raw = value(env, name);
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TelemetryConfigError(
      name,
      'is not a URL',
      "Give the collector's OTLP/HTTP address with its scheme, e.g. http://otel-collector:4318.",
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TelemetryConfigError(
      name,
      'is not an http(s) URL',
      "OTLP is sent over HTTP here (OTLP/gRPC is not supported): use the collector's HTTP port, usually 4318.",
    );
  }
  if (path === undefined) return url.toString();
  // The generic endpoint is a base: the signal's path is appended (the specification's rule).
  return `${url.toString().replace(/\/$/, '')}/${path}`;
}

/** `key1=value1,key2=value2`, values percent-encoded (W3C Baggage shape). */
function keyValues(env: Env, name: string, what: string): Record<string, string> {
  const raw = value(env, name);
  const out: Record<string, string> = {};
  if (raw === undefined) return out;
  for (const part of raw.split(',')) {
    if (part.trim() === '') continue;
    const at = part.indexOf('=');
    const key = at > 0 ? part.slice(0, at).trim() : '';
    if (key === '') {
      throw new TelemetryConfigError(
        name,
        `has an entry that is not key=value`,
        `Write ${what} as key1=value1,key2=value2.`,
      );
    }
    try {
      out[key] = decodeURIComponent(part.slice(at + 1).trim());
    } catch {
      throw new TelemetryConfigError(
        name,
        `has a badly percent-encoded value for "${key}"`,
        'Encode values with encodeURIComponent.',
      );
    }
  }
  return out;
}

function target(
  env: Env,
  signal: 'METRICS' | 'TRACES',
  headers: Record<string, string>,
): OtlpTarget | undefined {
  const exporter = value(env, `OTEL_${signal}_EXPORTER`)?.toLowerCase();
  if (exporter === 'none') return undefined;
  const url =
    endpoint(env, `OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`) ??
    endpoint(env, 'OTEL_EXPORTER_OTLP_ENDPOINT', `v1/${signal.toLowerCase()}`);
  if (url === undefined) return undefined;
  return {
    url,
    headers: { ...headers, ...keyValues(env, `OTEL_EXPORTER_OTLP_${signal}_HEADERS`, 'headers') },
  };
}

/** Reads and checks the OTEL_* variables. @throws TelemetryConfigError naming the bad variable. */
export function readOtelEnv(env: Env): OtelEnvConfig {
  const disabled = flag(env, 'OTEL_SDK_DISABLED');
  const protocol = value(env, 'OTEL_EXPORTER_OTLP_PROTOCOL');
  if (protocol !== undefined && protocol !== 'http/json' && protocol !== 'http/protobuf') {
    throw new TelemetryConfigError(
      'OTEL_EXPORTER_OTLP_PROTOCOL',
      'names a protocol this exporter does not speak',
      "Use http/json (or unset it) and the collector's OTLP/HTTP port, usually 4318.",
    );
  }
  const headers = keyValues(env, 'OTEL_EXPORTER_OTLP_HEADERS', 'headers');
  const metrics = target(env, 'METRICS', headers);
  const traces = target(env, 'TRACES', headers);
  return {
    disabled,
    serviceName: value(env, 'OTEL_SERVICE_NAME'),
    resourceAttributes: keyValues(env, 'OTEL_RESOURCE_ATTRIBUTES', 'resource attributes'),
    metrics: disabled ? undefined : metrics,
    traces: disabled ? undefined : traces,
    metricExportIntervalMs: milliseconds(env, 'OTEL_METRIC_EXPORT_INTERVAL', 60_000),
    metricExportTimeoutMs: milliseconds(env, 'OTEL_METRIC_EXPORT_TIMEOUT', 30_000),
  };
}
