/**
 * The admin HTTP server: `GET /healthz` (200 when every listener is up and the queue answers, else
 * 503, with a JSON body saying which part is not) and `GET /metrics` (Prometheus text of the relay's
 * MeterProvider: its own metrics, and core's when its Kalisto instance records into the same one).
 * Loopback by default; it serves nothing else and never shows configuration or secrets.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@kalisto/core';
import { PROMETHEUS_CONTENT_TYPE } from '@kalisto/opentelemetry';
import type { MetricsRegistry } from './metrics.js';

/** One part's health. */
export interface HealthCheck {
  readonly name: string;
  check(): Promise<boolean>;
}

export interface AdminServerOptions {
  host: string;
  port: number;
  metrics: MetricsRegistry;
  checks: readonly HealthCheck[];
  logger: Logger;
}

export interface RunningAdminServer {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/** A health check that takes longer than this counts as down. */
const CHECK_TIMEOUT_MS = 5_000;

async function health(
  checks: readonly HealthCheck[],
): Promise<{ ok: boolean; parts: Record<string, boolean> }> {
  const results = await Promise.all(
    checks.map(async (c) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), CHECK_TIMEOUT_MS);
      });
      const ok = await Promise.race([c.check().catch(() => false), timeout]);
      clearTimeout(timer);
      return [c.name, ok] as const;
    }),
  );
  return { ok: results.every(([, ok]) => ok), parts: Object.fromEntries(results) };
}

export async function startAdminServer(options: AdminServerOptions): Promise<RunningAdminServer> {
  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/healthz') {
      const result = await health(options.checks);
      response
        .writeHead(result.ok ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: result.ok ? 'ok' : 'unavailable', checks: result.parts }));
      return;
    }
    if (path === '/metrics') {
      const text = await options.metrics.render();
      response.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE }).end(text);
      return;
    }
    response
      .writeHead(404, { 'content-type': 'text/plain' })
      .end('Not found: /healthz and /metrics are served here.\n');
  };
  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      options.logger.error({ err: error }, 'Admin request failed');
      if (!response.headersSent) response.writeHead(500).end();
    });
  });
  server.on('error', (error) => options.logger.error({ err: error }, 'Admin server error'));
  server.listen(options.port, options.host);
  await Promise.race([
    once(server, 'listening'),
    once(server, 'error').then(([error]) => {
      throw error;
    }),
  ]);
  const port = (server.address() as AddressInfo).port;
  options.logger.info({ host: options.host, port }, 'Admin server started');
  return {
    host: options.host,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
