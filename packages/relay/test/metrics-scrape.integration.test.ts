/**
 * /metrics after a scripted run: a relay and its Kalisto instance share one `startTelemetry()`, N
 * messages go through the SMTP listener (each its own client session and login), and the scrape
 * over HTTP says exactly that — N connections, N logins, N delivered — next to core's metrics
 * (one token request for all N sends). The Grafana dashboard is checked against the same scrape.
 */
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKalisto, type Kalisto } from '@kalisto/core';
import { INSTRUMENTS } from '@kalisto/core/plugin';
import { type ServiceTelemetry, startTelemetry, TelemetryConfigError } from '@kalisto/opentelemetry';
import { smtp, smtps } from '@kalisto/protocol-smtp';
import { FIXTURE, type Sandbox, startSandbox } from '@kalisto/sandbox';
import { msalTokenProvider } from '@kalisto/token-msal';
import { createTransport } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRelay, type Relay } from '../src/index.js';
import { RELAY_INSTRUMENTS } from '../src/metrics.js';
import { PRINTER, printerPasswordHash, recordingLogger } from './helpers.js';

const { adele, megan } = FIXTURE.users;
const SENDS = 5;

let sandbox: Sandbox;
let telemetry: ServiceTelemetry;
let kalisto: Kalisto;
let relay: Relay;
let scrape: string;
const logger = recordingLogger();
let relayProperties: Record<string, string>;

/** Sends one message through the relay's `submit` listener as the printer (its own session). */
async function send(port: number | undefined, subject: string): Promise<void> {
  const transport = createTransport({
    host: '127.0.0.1',
    port,
    requireTLS: true,
    tls: { ca: sandbox.ca },
    auth: { user: PRINTER.user, pass: PRINTER.password },
  });
  try {
    await transport.sendMail({ from: megan, to: adele, subject, text: 'Metrics run.' });
  } finally {
    transport.close();
  }
}

beforeAll(async () => {
  sandbox = await startSandbox();
  const dir = mkdtempSync(join(tmpdir(), 'kalisto-relay-metrics-'));
  writeFileSync(join(dir, 'relay.crt'), sandbox.tls.cert);
  writeFileSync(join(dir, 'relay.key'), sandbox.tls.key, { mode: 0o600 });
  telemetry = startTelemetry({ serviceName: 'kalisto-relay-test', env: {} });
  kalisto = createKalisto({
    protocols: [smtp(), smtps()],
    tokenProviders: [msalTokenProvider()],
    logger,
    telemetry,
  });
  relayProperties = {
    ...sandbox.properties,
    'kalisto.relay.tls.cert': `file:${join(dir, 'relay.crt')}`,
    'kalisto.relay.tls.key': `file:${join(dir, 'relay.key')}`,
    'kalisto.relay.listener.submit.protocol': 'smtp',
    'kalisto.relay.listener.submit.port': '0',
    'kalisto.relay.listener.submit.tls': 'starttls',
    'kalisto.relay.user.printer.password': await printerPasswordHash(),
    'kalisto.relay.user.printer.mailbox': megan,
    'kalisto.relay.admin.port': '0',
  };
  relay = createRelay({ kalisto, logger, telemetry, properties: relayProperties });
  await relay.start();
  // A transport per message: its own connection, STARTTLS and login at the relay.
  for (let i = 0; i < SENDS; i++) await send(relay.addresses.submit?.port, `scrape ${i}`);
  const admin = relay.adminAddress;
  const response = await fetch(`http://${admin?.host}:${admin?.port}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain; version=0.0.4');
  scrape = await response.text();
}, 120_000);

afterAll(async () => {
  await relay?.stop({ timeoutMs: 5_000 });
  await kalisto?.close();
  await telemetry?.shutdown();
  await sandbox?.stop();
});

/** The value of the one sample of `series` (name and labels, as printed), or undefined. */
const sample = (series: string): number | undefined => {
  const line = scrape.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};
/** The sum of every sample of `name` whose labels include `having`. */
const total = (name: string, having: Record<string, string> = {}): number =>
  scrape
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .filter((l) => Object.entries(having).every(([k, v]) => l.includes(`${k}="${v}"`)))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);

describe('/metrics after a scripted run', () => {
  it('counts what happened: N connections, N logins, N delivered', () => {
    expect(sample('kalisto_relay_connections_total{listener="submit"}')).toBe(SENDS);
    expect(sample('kalisto_relay_logins_total{listener="submit",outcome="ok"}')).toBe(SENDS);
    expect(sample('kalisto_relay_messages_total{listener="submit",outcome="delivered"}')).toBe(SENDS);
    expect(sample('kalisto_relay_connections_active{listener="submit"}')).toBe(0);
    expect(sample('kalisto_relay_messages_in_flight')).toBe(0);
    expect(sandbox.store.mailbox(adele)?.folder('Inbox')?.messages.length).toBeGreaterThanOrEqual(SENDS);
  });

  it("serves core's metrics from the same provider: one token request for N sends", () => {
    expect(total('kalisto_token_requests_total')).toBe(1);
    expect(total('kalisto_token_requests_total', { kalisto_outcome: 'success' })).toBe(1);
    expect(total('kalisto_token_acquisitions_total')).toBeGreaterThanOrEqual(1);
    expect(total('kalisto_token_acquisitions_total', { kalisto_token_source: 'provider' })).toBe(1);
    expect(total('kalisto_mail_logins_total', { kalisto_outcome: 'success' })).toBeGreaterThanOrEqual(1);
    expect(total('kalisto_mail_logins_total', { kalisto_outcome: 'failure' })).toBe(0);
    expect(total('kalisto_token_request_duration_count')).toBe(1);
    expect(scrape).toMatch(/^target_info\{.*service_name="kalisto-relay-test"/m);
  });

  it('shows no secret: not the relay password, the client secret or a token', () => {
    expect(scrape).not.toContain(PRINTER.password);
    const secrets = Object.entries(sandbox.properties).filter(([key]) => /secret|password/i.test(key));
    expect(secrets.length).toBeGreaterThan(0);
    for (const [, secret] of secrets) expect(scrape).not.toContain(secret);
    expect(scrape).not.toMatch(/eyJ[\w-]{10,}/); // a JWT
  });
});

describe('the relay with OTEL_* set and no telemetry given', () => {
  it('starts its own and exports its metrics over OTLP; stop() flushes them', async () => {
    const received: { path: string; body: string }[] = [];
    const receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      request.on('end', () => {
        received.push({ path: request.url ?? '', body });
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    receiver.listen(0, '127.0.0.1');
    await once(receiver, 'listening');
    try {
      const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
      const own = createRelay({
        kalisto,
        logger,
        properties: relayProperties,
        env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint },
      });
      await own.start();
      await send(own.addresses.submit?.port, 'otlp');
      expect(await own.metrics()).toMatch(
        /^kalisto_relay_messages_total\{listener="submit",outcome="delivered"\} 1$/m,
      );
      await own.stop({ timeoutMs: 5_000 });
      const metrics = received
        .filter((r) => r.path === '/v1/metrics')
        .map((r) => r.body)
        .join('');
      expect(metrics).toContain('"kalisto.relay.messages"');
      expect(metrics).toContain('"kalisto-relay"'); // service.name
    } finally {
      receiver.closeAllConnections();
      receiver.close();
    }
  });

  it('a malformed OTEL_* variable fails createRelay, naming it', () => {
    expect(() =>
      createRelay({
        kalisto,
        properties: relayProperties,
        env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' },
      }),
    ).toThrow(TelemetryConfigError);
  });
});

/** The Prometheus names an instrument of core's table is exported under (OpenTelemetry's Prometheus exporter). */
function prometheusNames(instrument: { name: string; kind: string }): string[] {
  const base = instrument.name.replace(/[^a-zA-Z0-9_]/g, '_').replace(/_{2,}/g, '_');
  if (instrument.kind === 'counter') return [`${base}_total`];
  if (instrument.kind === 'histogram') return [`${base}_bucket`, `${base}_sum`, `${base}_count`];
  return [base];
}

/** Metric names in a PromQL expression: what is left once selectors `{…}` and `by (…)` lists are gone. */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/\{[^}]*\}/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  return [...bare.matchAll(/\b(kalisto_[a-z0-9_]+|target_info)\b/g)].map((m) => m[1] as string);
}

describe('docs/grafana/kalisto-dashboard.json', () => {
  const dashboard = JSON.parse(
    readFileSync(new URL('../../../docs/grafana/kalisto-dashboard.json', import.meta.url), 'utf8'),
  ) as {
    schemaVersion: number;
    templating: { list: { name: string; type: string; definition?: string }[] };
    panels: { title: string; type: string; datasource?: { uid: string }; targets?: { expr: string }[] }[];
  };
  const queries = [
    ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr }))),
    ...dashboard.templating.list.flatMap((v) =>
      v.definition ? [{ panel: `$${v.name}`, expr: v.definition }] : [],
    ),
  ];

  it('is a current dashboard with a data source variable every panel uses', () => {
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39);
    expect(dashboard.templating.list.find((v) => v.type === 'datasource')?.name).toBe('datasource');
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a template.
      expect(panel.datasource?.uid, panel.title).toBe('${datasource}');
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
    }
  });

  it('queries only metrics that exist: in the scrape of the scripted run, or in the instrument tables', () => {
    const documented = new Set(
      [...INSTRUMENTS, ...Object.values(RELAY_INSTRUMENTS)].flatMap(prometheusNames),
    );
    const scraped = new Set([...scrape.matchAll(/^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/gm)].map((m) => m[1]));
    const missing = queries.flatMap(({ panel, expr }) =>
      metricNames(expr)
        .filter((name) => !scraped.has(name) && !documented.has(name))
        .map((name) => `${panel}: ${name}`),
    );
    expect(queries.length).toBeGreaterThan(20);
    expect(missing).toEqual([]);
  });
});

describe('the metrics documentation', () => {
  const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');

  it("the relay README's table lists every relay instrument under its Prometheus and OpenTelemetry names", () => {
    const readme = read('../README.md');
    const rows = readme.split('\n').filter((line) => line.startsWith('| `kalisto_relay_'));
    const listed = rows.map((row) => [...row.matchAll(/`([a-z_.]+)`/g)].slice(0, 2).map((m) => m[1]));
    const instruments = Object.values(RELAY_INSTRUMENTS).map((i) => [prometheusNames(i)[0], i.name]);
    expect(listed).toEqual(instruments);
  });

  it('"What to alert on" queries only metrics that exist', () => {
    const readme = read('../../opentelemetry/README.md');
    const blocks = [...readme.matchAll(/```promql\n([\s\S]*?)```/g)].map((m) => m[1] as string);
    const documented = new Set(
      [...INSTRUMENTS, ...Object.values(RELAY_INSTRUMENTS)].flatMap(prometheusNames),
    );
    const names = blocks.flatMap(metricNames);
    expect(blocks.length).toBeGreaterThanOrEqual(6);
    expect(names.filter((name) => !documented.has(name) && !scrape.includes(`\n${name}`))).toEqual([]);
    for (const metric of [
      'kalisto_token_requests_total',
      'kalisto_credential_expiry',
      'kalisto_mail_logins_total',
    ]) {
      expect(names).toContain(metric);
    }
  });
});
