/**
 * `kalisto watch --metrics`: while it watches, /metrics answers with Prometheus text of what the
 * command did (its login, its token request); with OTEL_EXPORTER_OTLP_ENDPOINT set the same metrics
 * reach an OTLP receiver, with the headers named — and no header value or secret is ever printed.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliSandbox, expectNoSecrets, runKalisto, startCliSandbox } from './helpers.js';

const API_KEY = 'otlp-key-4c1d9e';
let box: CliSandbox;
const otlp: { path: string; apiKey: string | undefined; body: string }[] = [];
const receiver = createServer((request, response) => {
  let body = '';
  request.on('data', (chunk: Buffer) => {
    body += chunk.toString();
  });
  request.on('end', () => {
    otlp.push({ path: request.url ?? '', apiKey: request.headers['x-api-key'] as string | undefined, body });
    response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});

beforeAll(async () => {
  box = await startCliSandbox();
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
});

afterAll(async () => {
  receiver.closeAllConnections();
  receiver.close();
  await box?.stop();
});

describe('kalisto watch --metrics', () => {
  it('serves /metrics while it runs and exports OTLP when the OTEL_* variables say so', async () => {
    const adele = box.sandbox.fixtures.users.adele.upn;
    let scrape: Promise<{ status: number; type: string | null; text: string }> | undefined;
    const run = await runKalisto([...box.config, 'watch', '--count', '1', '--metrics', '127.0.0.1:0'], {
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`,
        OTEL_EXPORTER_OTLP_HEADERS: `x-api-key=${API_KEY}`,
      },
      onOutput: (sofar) => {
        const at = /Metrics at (http:\/\/\S+\/metrics)/.exec(sofar.stderr)?.[1];
        if (scrape === undefined && at && sofar.stderr.includes('Watching INBOX')) {
          scrape = fetch(at).then(async (response) => {
            const text = await response.text();
            // Scraped: now let the watch see its one message and end.
            box.sandbox.store.deliver(
              [adele],
              Buffer.from(
                `From: megan@contoso.example\r\nTo: ${adele}\r\nSubject: Metrics watch\r\n\r\nHi.\r\n`,
              ),
            );
            return { status: response.status, type: response.headers.get('content-type'), text };
          });
        }
      },
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Metrics watch');
    const metrics = await (scrape as NonNullable<typeof scrape>);
    expect(metrics.status).toBe(200);
    expect(metrics.type).toContain('text/plain; version=0.0.4');
    expect(metrics.text).toMatch(/^target_info\{.*service_name="kalisto-cli"/m);
    // The probe login and the watcher's: IMAP logins, one token request for both.
    expect(metrics.text).toMatch(
      /^kalisto_mail_logins_total\{[^}]*kalisto_protocol="imaps?"[^}]*\} [1-9]\d*$/m,
    );
    expect(metrics.text).toMatch(/^kalisto_token_requests_total\{[^}]*kalisto_outcome="success"[^}]*\} 1$/m);

    const exported = otlp.filter((r) => r.path === '/v1/metrics');
    expect(exported.length).toBeGreaterThan(0);
    expect(exported.every((r) => r.apiKey === API_KEY)).toBe(true);
    expect(exported.map((r) => r.body).join('')).toContain('"kalisto.mail.logins"');
    expectNoSecrets(run, [...box.secrets, API_KEY]);
  });
});
