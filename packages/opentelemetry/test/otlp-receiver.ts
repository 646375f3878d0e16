/**
 * A tiny OTLP/HTTP receiver on loopback: it keeps every JSON export request (path, headers, body)
 * and answers 200, as a collector would.
 */
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OtlpRequest {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
}

export interface OtlpReceiver {
  readonly url: string;
  readonly requests: OtlpRequest[];
  /** Metric names in every metrics export received. */
  metricNames(): string[];
  /** Span names in every traces export received. */
  spanNames(): string[];
  close(): Promise<void>;
}

interface Named {
  name: string;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const requests: OtlpRequest[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      requests.push({
        path: request.url ?? '',
        headers: request.headers,
        body: text ? JSON.parse(text) : {},
      });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const bodies = (path: string) =>
    requests.filter((r) => r.path === path).map((r) => r.body as Record<string, never>);
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    metricNames: () =>
      bodies('/v1/metrics').flatMap((b: { resourceMetrics?: { scopeMetrics: { metrics: Named[] }[] }[] }) =>
        (b.resourceMetrics ?? []).flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics.map((m) => m.name))),
      ),
    spanNames: () =>
      bodies('/v1/traces').flatMap((b: { resourceSpans?: { scopeSpans: { spans: Named[] }[] }[] }) =>
        (b.resourceSpans ?? []).flatMap((r) => r.scopeSpans.flatMap((s) => s.spans.map((span) => span.name))),
      ),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
