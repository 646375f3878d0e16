/**
 * startTelemetry against a real OTLP/HTTP endpoint (a receiver on loopback): metrics and spans
 * arrive where the OTEL_* variables point, with the headers they name — and those values never
 * appear in what the setup logs.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTelemetry, TelemetryConfigError } from '../src/index.js';
import { type OtlpReceiver, startOtlpReceiver } from './otlp-receiver.js';

const API_KEY = 'otlp-api-key-7f3a9c';

describe('startTelemetry', () => {
  let receiver: OtlpReceiver;
  beforeEach(async () => {
    receiver = await startOtlpReceiver();
  });
  afterEach(() => receiver.close());

  it('exports metrics and spans over OTLP to the configured endpoint, with its headers', async () => {
    const logged: string[] = [];
    const telemetry = startTelemetry({
      serviceName: 'kalisto-test',
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_HEADERS: `x-api-key=${API_KEY}`,
        OTEL_SERVICE_NAME: 'relay-eu-1',
      },
      logger: { info: (obj, msg) => logged.push(JSON.stringify(obj), String(msg)) },
    });
    expect(telemetry.otlp).toEqual({ metrics: true, traces: true });
    telemetry.meterProvider.getMeter('test').createCounter('kalisto.test.requests').add(3, { outcome: 'ok' });
    telemetry.tracerProvider.getTracer('test').startSpan('kalisto.test.span').end();
    await telemetry.shutdown();

    expect(receiver.metricNames()).toContain('kalisto.test.requests');
    expect(receiver.spanNames()).toEqual(['kalisto.test.span']);
    for (const request of receiver.requests) expect(request.headers['x-api-key']).toBe(API_KEY);
    const metrics = receiver.requests.find((r) => r.path === '/v1/metrics')?.body as {
      resourceMetrics: { resource: { attributes: { key: string; value: { stringValue?: string } }[] } }[];
    };
    const serviceName = metrics.resourceMetrics[0]?.resource.attributes.find((a) => a.key === 'service.name');
    expect(serviceName?.value.stringValue).toBe('relay-eu-1');
    expect(logged.join('\n')).not.toContain(API_KEY);
    expect(logged.join('\n')).not.toContain(receiver.url);
  });

  it('without an endpoint nothing is sent, and Prometheus text has the metrics', async () => {
    const telemetry = startTelemetry({ serviceName: 'kalisto-test', env: {} });
    expect(telemetry.otlp).toEqual({ metrics: false, traces: false });
    telemetry.meterProvider
      .getMeter('test')
      .createCounter('kalisto.test.requests', { description: 'Test requests.' })
      .add(2, { outcome: 'ok' });
    const text = await telemetry.prometheusText();
    expect(text).toContain('# TYPE kalisto_test_requests_total counter');
    expect(text).toMatch(/^kalisto_test_requests_total\{outcome="ok"\} 2$/m);
    expect(text).toMatch(/^target_info\{.*service_name="kalisto-test"/m);
    await telemetry.shutdown();
    expect(receiver.requests).toEqual([]);
  });

  it('OTEL_SDK_DISABLED=true: nothing is exported even with an endpoint', async () => {
    const telemetry = startTelemetry({
      serviceName: 'kalisto-test',
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SDK_DISABLED: 'true' },
    });
    telemetry.meterProvider.getMeter('test').createCounter('kalisto.test.requests').add(1);
    telemetry.tracerProvider.getTracer('test').startSpan('kalisto.test.span').end();
    await telemetry.shutdown();
    expect(receiver.requests).toEqual([]);
  });

  it('a collector that does not answer cannot hold shutdown past its bound', async () => {
    const { createServer } = await import('node:net');
    const sockets: import('node:net').Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket)); // accepts, never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    const telemetry = startTelemetry({
      serviceName: 'kalisto-test',
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` },
      shutdownTimeoutMs: 200,
    });
    telemetry.meterProvider.getMeter('test').createCounter('kalisto.test.requests').add(1);
    await telemetry.shutdown(); // resolves (a hang fails the test by its timeout)
    await telemetry.shutdown(); // idempotent
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  it('a malformed endpoint is an error naming the variable', () => {
    expect(() =>
      startTelemetry({
        serviceName: 'kalisto-test',
        env: { OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'localhost:4318' },
      }),
    ).toThrow(TelemetryConfigError);
    expect(() =>
      startTelemetry({ serviceName: 'kalisto-test', env: { OTEL_EXPORTER_OTLP_ENDPOINT: '://nope' } }),
    ).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT is not a URL/);
  });

  it('serviceName is required', () => {
    expect(() => startTelemetry({ serviceName: '' })).toThrow(/serviceName/);
  });
});

describe('registerGlobal', () => {
  it("makes the providers @opentelemetry/api's global ones until shutdown", async () => {
    const { metrics } = await import('@opentelemetry/api');
    const telemetry = startTelemetry({ serviceName: 'kalisto-test', env: {} });
    expect(telemetry.registerGlobal()).toBe(true);
    metrics.getMeter('test').createCounter('kalisto.test.global').add(1);
    expect(await telemetry.prometheusText()).toMatch(/^kalisto_test_global_total 1$/m);
    const second = startTelemetry({ serviceName: 'kalisto-test', env: {} });
    expect(second.registerGlobal()).toBe(false); // the first stays
    await telemetry.shutdown();
    expect(second.registerGlobal()).toBe(true);
    await second.shutdown();
  });
});
