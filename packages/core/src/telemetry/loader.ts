import { createRequire } from 'node:module';
import type { Meter, MeterProvider, Span, TracerProvider } from './types.js';

/** The parts of `@opentelemetry/api` Kalisto calls, when it is installed. */
export interface OpenTelemetryApi {
  metrics: { getMeterProvider(): MeterProvider };
  trace: {
    getTracerProvider(): TracerProvider;
    setSpan(context: unknown, span: Span): unknown;
  };
  context: {
    active(): unknown;
    with<T>(context: unknown, run: () => T): T;
  };
  createNoopMeter(): Meter;
  ProxyTracerProvider: new () => { getDelegate(): TracerProvider };
}

/** Loads `@opentelemetry/api`; throws when it is not installed. */
export type ApiLoader = () => OpenTelemetryApi;

/**
 * A `require` relative to this file, in both builds: tsup's CJS build turns `import.meta.url` into the
 * file's URL (a bare `require` would not do: the ESM build rewrites it into a stub that throws). The
 * api's globals are shared with the application's copy either way: it keeps its providers under a
 * `Symbol.for` key.
 */
const requireApi: ApiLoader = () => createRequire(import.meta.url)('@opentelemetry/api') as OpenTelemetryApi;

let loaded: OpenTelemetryApi | null | undefined;

/**
 * `@opentelemetry/api`, loaded once, or `undefined` when it is not installed (an optional peer).
 * `load` replaces the loader (tests); a replaced loader's result is not remembered.
 */
export function loadOpenTelemetryApi(load?: ApiLoader): OpenTelemetryApi | undefined {
  if (load !== undefined) return tryLoad(load);
  if (loaded === undefined) loaded = tryLoad(requireApi) ?? null;
  return loaded ?? undefined;
}

function tryLoad(load: ApiLoader): OpenTelemetryApi | undefined {
  try {
    const api = load();
    return typeof api?.metrics?.getMeterProvider === 'function' ? api : undefined;
  } catch {
    return undefined;
  }
}

/** The globally registered meter provider, or `undefined` when none is (the api's own is a no-op). */
export function globalMeterProvider(api: OpenTelemetryApi): MeterProvider | undefined {
  const provider = api.metrics.getMeterProvider();
  return provider.getMeter('@kalisto/core') === api.createNoopMeter() ? undefined : provider;
}

/** The globally registered tracer provider, or `undefined` when none is (the proxy delegates to a no-op). */
export function globalTracerProvider(api: OpenTelemetryApi): TracerProvider | undefined {
  const provider = api.trace.getTracerProvider() as TracerProvider & { getDelegate?(): TracerProvider };
  const noop = new api.ProxyTracerProvider().getDelegate();
  return provider.getDelegate?.() === noop || provider === noop ? undefined : provider;
}
