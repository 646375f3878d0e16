/**
 * `--metrics <host:port>` of the long-running commands: OpenTelemetry for this process (OTLP too when
 * the OTEL_* variables name a collector) and an HTTP server answering `GET /metrics` with its
 * Prometheus text. Loopback unless a host is given; it serves nothing else.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServiceTelemetry } from '@kalisto/opentelemetry';
import { usageError } from './errors.js';

export interface MetricsAddress {
  readonly host: string;
  readonly port: number;
}

/** `9464`, `:9464`, `0.0.0.0:9464`, `[::1]:9464` (host default 127.0.0.1; port 0 picks a free one). */
export function parseMetricsAddress(value: string, option = '--metrics'): MetricsAddress {
  const match = /^(?:(\[[0-9a-fA-F:.]+\]|[^:[\]]+)?:)?(\d{1,5})$/.exec(value.trim());
  const port = Number(match?.[2]);
  if (!match || port > 65_535) {
    throw usageError(
      `${option} needs host:port or a port, got "${value}".`,
      `E.g. ${option} 9464 (127.0.0.1) or ${option} 0.0.0.0:9464 for every interface.`,
    );
  }
  const host = match[1]?.replace(/^\[|\]$/g, '') ?? '127.0.0.1';
  return { host, port };
}

export interface RunningTelemetry {
  readonly telemetry: ServiceTelemetry;
  /** Where /metrics is served (undefined without `--metrics`). */
  readonly address: MetricsAddress | undefined;
  /** Stops the server and flushes OTLP (bounded). Never throws. */
  close(): Promise<void>;
}

/**
 * Starts telemetry for a CLI command when `--metrics` is given or the OTEL_* variables name an OTLP
 * endpoint; undefined otherwise (nothing to do, nothing started). The providers become the global
 * ones, which the command's Kalisto instance records into.
 *
 * @throws TelemetryConfigError naming a malformed OTEL_* variable.
 */
export async function startCliTelemetry(options: {
  serviceName: string;
  metrics: MetricsAddress | undefined;
  env: Readonly<Record<string, string | undefined>>;
}): Promise<RunningTelemetry | undefined> {
  // Loaded here, not at the top: every other command starts without the OpenTelemetry SDK.
  const { PROMETHEUS_CONTENT_TYPE, startTelemetry } = await import('@kalisto/opentelemetry');
  const telemetry = startTelemetry({ serviceName: options.serviceName, env: options.env });
  if (options.metrics === undefined && !telemetry.otlp.metrics && !telemetry.otlp.traces) {
    await telemetry.shutdown();
    return undefined;
  }
  telemetry.registerGlobal();
  if (options.metrics === undefined) {
    return { telemetry, address: undefined, close: () => telemetry.shutdown() };
  }
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: /metrics is served here.\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    telemetry.prometheusText().then(
      (text) => response.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE }).end(text),
      () => response.writeHead(500).end(),
    );
  });
  server.listen(options.metrics.port, options.metrics.host);
  try {
    await Promise.race([
      once(server, 'listening'),
      once(server, 'error').then(([error]) => {
        throw error;
      }),
    ]);
  } catch (error) {
    await telemetry.shutdown();
    const { host, port } = options.metrics;
    throw usageError(
      `--metrics: cannot listen on ${host}:${port} (${(error as NodeJS.ErrnoException).code ?? 'error'}).`,
      'Pick a free port, or 0 for any.',
    );
  }
  const { port } = server.address() as AddressInfo;
  return {
    telemetry,
    address: { host: options.metrics.host, port },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await telemetry.shutdown();
    },
  };
}
