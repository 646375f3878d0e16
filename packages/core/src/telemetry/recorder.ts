import { errorAttributes } from './error-attributes.js';
import { safeAttributes } from './guard.js';
import { DURATION_BUCKETS, INSTRUMENTS, type InstrumentName, type InstrumentSpec } from './instruments.js';
import {
  type CredentialExpiryReading,
  type KalistoTelemetry,
  noopTelemetry,
  type TelemetryOutcome,
} from './kalisto-telemetry.js';
import { type ApiLoader, globalMeterProvider, globalTracerProvider, loadOpenTelemetryApi } from './loader.js';
import { createSpanStarter } from './spans.js';
import type { Meter, MeterProvider, TelemetryAttributes, TracerProvider } from './types.js';

/** `createKalisto({ telemetry })`: where metrics and spans go. */
export interface TelemetryOptions {
  /** Metrics go here (an SDK `MeterProvider`); default: the one registered with `@opentelemetry/api`, if any. */
  meterProvider?: MeterProvider | undefined;
  /** Spans go here (an SDK `TracerProvider`); default: the one registered with `@opentelemetry/api`, if any. */
  tracerProvider?: TracerProvider | undefined;
  /** Replaces the loader of `@opentelemetry/api` (tests of the fallback). */
  loadApi?: ApiLoader | undefined;
}

/**
 * The recorder of a plugin context or session: `context.telemetry`, else the session's, else the
 * no-op one (a context or session built by hand, e.g. in a unit test).
 */
export function telemetryOf(context: {
  telemetry?: KalistoTelemetry | undefined;
  session?: { telemetry?: KalistoTelemetry | undefined } | undefined;
}): KalistoTelemetry {
  return context.telemetry ?? context.session?.telemetry ?? noopTelemetry;
}

/** The instrumentation scope's name: meters and tracers are obtained under it. */
export const TELEMETRY_SCOPE = '@kalisto/core';

const OUTCOME = (error: unknown): TelemetryOutcome => (error === undefined ? 'success' : 'failure');

/**
 * A {@link KalistoTelemetry} on the given providers, else on `@opentelemetry/api`'s global ones; the
 * no-op recorder when there are none (the api not installed, or no SDK registered). Instruments are
 * created once, here, from {@link INSTRUMENTS}.
 */
export function createTelemetry(options: TelemetryOptions = {}): KalistoTelemetry {
  // Loaded even with both providers given: its context API parents Kalisto's spans under the application's.
  const api = loadOpenTelemetryApi(options.loadApi);
  const meterProvider = options.meterProvider ?? (api && globalMeterProvider(api));
  const tracerProvider = options.tracerProvider ?? (api && globalTracerProvider(api));
  if (meterProvider === undefined && tracerProvider === undefined) return noopTelemetry;

  const instruments = meterProvider ? createInstruments(meterProvider.getMeter(TELEMETRY_SCOPE)) : undefined;
  const spans = tracerProvider
    ? createSpanStarter(tracerProvider.getTracer(TELEMETRY_SCOPE), api)
    : undefined;
  const expiryReaders = new Set<() => readonly CredentialExpiryReading[]>();

  if (instruments) {
    instruments.gauge('kalisto.credential.expiry').addCallback((result) => {
      for (const read of expiryReaders) {
        for (const { kind, provider, secondsLeft } of read()) {
          result.observe(
            secondsLeft,
            safeAttributes({ 'kalisto.credential.kind': kind, 'kalisto.token.provider': provider }),
          );
        }
      }
    });
  }

  const count = (name: InstrumentName, attributes: TelemetryAttributes, value = 1) =>
    instruments?.counter(name).add(value, safeAttributes(attributes));
  const record = (name: InstrumentName, value: number, attributes: TelemetryAttributes) =>
    instruments?.histogram(name).record(value, safeAttributes(attributes));
  const m = instruments !== undefined;

  return {
    enabled: true,
    tokenRequest(provider, flow, seconds, error) {
      if (!m) return;
      const base = {
        'kalisto.token.provider': provider,
        'kalisto.token.flow': flow,
        'kalisto.outcome': OUTCOME(error),
      };
      count('kalisto.token.requests', errorAttributes(error, { ...base }));
      record('kalisto.token.request.duration', seconds, base);
    },
    tokenAcquisition(provider, source) {
      if (m)
        count('kalisto.token.acquisitions', {
          'kalisto.token.provider': provider,
          'kalisto.token.source': source,
        });
    },
    tokenLockWait(seconds, outcome) {
      if (m) record('kalisto.token.lock.wait.duration', seconds, { 'kalisto.outcome': outcome });
    },
    cacheOperation(backend, operation, result) {
      if (!m) return;
      count('kalisto.cache.operations', {
        'kalisto.cache.backend': backend,
        'kalisto.cache.operation': operation,
        'kalisto.cache.result': result,
      });
    },
    mailLogin(protocol, serverAddress, seconds, error) {
      if (!m) return;
      const outcome = OUTCOME(error);
      count(
        'kalisto.mail.logins',
        errorAttributes(error, { 'kalisto.protocol': protocol, 'kalisto.outcome': outcome }),
      );
      record('kalisto.mail.connect.duration', seconds, {
        'kalisto.protocol': protocol,
        'server.address': serverAddress,
        'kalisto.outcome': outcome,
      });
    },
    mailConnections(protocol, delta) {
      if (m)
        instruments
          .upDown('kalisto.mail.connections')
          .add(delta, safeAttributes({ 'kalisto.protocol': protocol }));
    },
    mailCommand(protocol, command, seconds, error) {
      if (!m) return;
      record(
        'kalisto.mail.command.duration',
        seconds,
        errorAttributes(error, {
          'kalisto.protocol': protocol,
          'kalisto.mail.command': command,
          'kalisto.outcome': OUTCOME(error),
        }),
      );
    },
    mailReconnect(protocol, reason) {
      if (m)
        count('kalisto.mail.reconnects', {
          'kalisto.protocol': protocol,
          'kalisto.reconnect.reason': reason,
        });
    },
    watchRenewal(protocol, error) {
      if (m)
        count('kalisto.mail.watch.renewals', {
          'kalisto.protocol': protocol,
          'kalisto.outcome': OUTCOME(error),
        });
    },
    observeCredentialExpiry(read) {
      expiryReaders.add(read);
      return () => void expiryReaders.delete(read);
    },
    startSpan: (name, attributes) => (spans ? spans.start(name, attributes) : noopTelemetry.startSpan(name)),
    withSpan: (name, attributes, run) =>
      spans ? spans.within(name, attributes, run) : noopTelemetry.withSpan(name, attributes, run),
  };
}

/** One instrument per row of {@link INSTRUMENTS}, looked up by name. */
function createInstruments(meter: Meter) {
  const made = new Map<string, unknown>();
  for (const spec of INSTRUMENTS as readonly InstrumentSpec[])
    made.set(spec.name, createInstrument(meter, spec));
  const get = <T>(name: InstrumentName) => made.get(name) as T;
  return {
    counter: (name: InstrumentName) => get<ReturnType<Meter['createCounter']>>(name),
    upDown: (name: InstrumentName) => get<ReturnType<Meter['createUpDownCounter']>>(name),
    histogram: (name: InstrumentName) => get<ReturnType<Meter['createHistogram']>>(name),
    gauge: (name: InstrumentName) => get<ReturnType<Meter['createObservableGauge']>>(name),
  };
}

function createInstrument(meter: Meter, { name, kind, unit, description }: InstrumentSpec) {
  switch (kind) {
    case 'counter':
      return meter.createCounter(name, { unit, description });
    case 'updowncounter':
      return meter.createUpDownCounter(name, { unit, description });
    case 'histogram':
      return meter.createHistogram(name, {
        unit,
        description,
        advice: { explicitBucketBoundaries: [...DURATION_BUCKETS] },
      });
    case 'gauge':
      return meter.createObservableGauge(name, { unit, description });
  }
}
