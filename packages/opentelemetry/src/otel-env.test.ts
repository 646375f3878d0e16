import { describe, expect, it } from 'vitest';
import { readOtelEnv, TelemetryConfigError } from './otel-env.js';

describe('readOtelEnv', () => {
  it('exports nothing over OTLP without an endpoint', () => {
    const config = readOtelEnv({});
    expect(config.metrics).toBeUndefined();
    expect(config.traces).toBeUndefined();
    expect(config.metricExportIntervalMs).toBe(60_000);
  });

  it('appends the signal path to the generic endpoint; a signal endpoint is used as given', () => {
    const config = readOtelEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example:4318/custom/path',
    });
    expect(config.metrics?.url).toBe('http://collector:4318/v1/metrics');
    expect(config.traces?.url).toBe('https://traces.example:4318/custom/path');
  });

  it('decodes headers; signal headers override the generic ones', () => {
    const config = readOtelEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Basic%20abc,x-tenant=a',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-tenant=b',
    });
    expect(config.metrics?.headers).toEqual({ authorization: 'Basic abc', 'x-tenant': 'a' });
    expect(config.traces?.headers).toEqual({ authorization: 'Basic abc', 'x-tenant': 'b' });
  });

  it('OTEL_SDK_DISABLED=true and OTEL_<signal>_EXPORTER=none turn OTLP off', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    expect(readOtelEnv({ ...endpoint, OTEL_SDK_DISABLED: 'true' }).metrics).toBeUndefined();
    const some = readOtelEnv({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' });
    expect(some.traces).toBeUndefined();
    expect(some.metrics).toBeDefined();
  });

  it('reads the service name and resource attributes', () => {
    const config = readOtelEnv({
      OTEL_SERVICE_NAME: 'relay-eu',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod,team=mail%20ops',
    });
    expect(config.serviceName).toBe('relay-eu');
    expect(config.resourceAttributes).toEqual({ 'deployment.environment': 'prod', team: 'mail ops' });
  });

  const secret = 'sk-live-0123456789';
  it.each([
    ['OTEL_EXPORTER_OTLP_ENDPOINT', `collector:4318/${secret}`],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', `not a url ${secret}`],
    ['OTEL_EXPORTER_OTLP_METRICS_ENDPOINT', `grpc://collector:4317/${secret}`],
    ['OTEL_EXPORTER_OTLP_HEADERS', `api-key ${secret}`],
    ['OTEL_EXPORTER_OTLP_HEADERS', `api-key=${secret}%zz`],
    ['OTEL_METRIC_EXPORT_INTERVAL', `${secret}`],
    ['OTEL_SDK_DISABLED', 'yes'],
    ['OTEL_EXPORTER_OTLP_PROTOCOL', 'grpc'],
  ])('a malformed %s is an error naming it, without its value', (variable, value) => {
    let error: unknown;
    try {
      readOtelEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', [variable]: value });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(TelemetryConfigError);
    expect((error as TelemetryConfigError).variable).toBe(variable);
    expect((error as Error).message).toContain(variable);
    expect((error as Error).message).not.toContain(secret);
  });
});
