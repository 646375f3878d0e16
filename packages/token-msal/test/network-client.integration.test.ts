import { createHttpAgent } from '@kalisto/core/plugin';
import {
  type ConnectProxy,
  json,
  startConnectProxy,
  startHttpsServer,
  type TestHttpsServer,
} from '@kalisto/test-support';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { type OutboundRequest, type TrackedCall, UndiciNetworkClient } from '../src/network-client.js';

let server: TestHttpsServer;

beforeAll(async () => {
  server = await startHttpsServer((req, res, body) => {
    const path = new URL(req.url ?? '/', 'https://x').pathname;
    if (path === '/ok') return json(res, 200, { echoed: body, method: req.method });
    if (path === '/refused') return json(res, 400, { error: 'invalid_grant', error_codes: [700082] });
    if (path === '/busy') return json(res, 503, { error: 'temporarily_unavailable' }, { 'Retry-After': '3' });
    if (path === '/html') {
      res.writeHead(200, { 'content-type': 'text/html' });
      return res.end('<html>captive portal</html>');
    }
    if (path === '/slow') return; // never answers
    json(res, 404, { error: 'not_found' });
  });
});

afterAll(async () => {
  await server.close();
});

function client(options: { ca?: string; proxy?: string; noProxy?: string; timeoutMs?: number } = {}) {
  const requests: OutboundRequest[] = [];
  const timeoutMs = options.timeoutMs ?? 5_000;
  const agent = createHttpAgent({ ca: server.ca, noProxy: '', timeoutMs, ...options });
  const network = new UndiciNetworkClient({ agent, timeoutMs, onRequest: (r) => requests.push(r) });
  return { network, requests, close: () => agent.close() };
}

describe('UndiciNetworkClient', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it('posts over TLS trusting the configured CA and reports every URL', async () => {
    const c = client();
    close = c.close;
    const response = await c.network.sendPostRequestAsync<{ echoed: string; method: string }>(
      `${server.url}/ok?x=1`,
      {
        body: 'grant_type=client_credentials',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      },
    );
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ echoed: 'grant_type=client_credentials', method: 'POST' });
    expect(response.headers['content-type']).toBe('application/json');
    expect(c.requests).toEqual([{ method: 'POST', url: `${server.url}/ok?x=1` }]);
  });

  it('refuses a server its CA does not vouch for, and records why', async () => {
    const c = client({ ca: undefined });
    close = c.close;
    const call: TrackedCall = {};
    await expect(
      c.network.track(call, () => c.network.sendGetRequestAsync(`${server.url}/ok`)),
    ).rejects.toThrow();
    expect(call.failure?.cause).toMatchObject({ code: expect.stringMatching(/CERT|SELF_SIGNED|UNABLE_TO/) });
  });

  it('hands a 4xx to MSAL and records it; a later success clears the record', async () => {
    const c = client();
    close = c.close;
    const call: TrackedCall = {};
    const refused = await c.network.track(call, () =>
      c.network.sendPostRequestAsync(`${server.url}/refused`, {}),
    );
    expect(refused.status).toBe(400);
    expect(call.failure).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    await c.network.track(call, () => c.network.sendPostRequestAsync(`${server.url}/ok`, {}));
    expect(call.failure).toBeUndefined();
  });

  it('throws a 5xx instead of handing it to MSAL, keeping status, body and Retry-After', async () => {
    const c = client();
    close = c.close;
    const call: TrackedCall = {};
    await expect(
      c.network.track(call, () => c.network.sendPostRequestAsync(`${server.url}/busy`, {})),
    ).rejects.toThrow(/HTTP 503/);
    expect(call.failure).toMatchObject({ status: 503, body: { error: 'temporarily_unavailable' } });
    expect(call.failure?.headers?.['retry-after']).toBe('3');
  });

  it('throws on a reply that is not JSON and keeps its text', async () => {
    const c = client();
    close = c.close;
    const call: TrackedCall = {};
    await expect(
      c.network.track(call, () => c.network.sendGetRequestAsync(`${server.url}/html`)),
    ).rejects.toThrow(/not JSON/);
    expect(call.failure).toMatchObject({ status: 200, body: '<html>captive portal</html>' });
  });

  it("aborts a request when the call's signal aborts", async () => {
    const c = client();
    close = c.close;
    const controller = new AbortController();
    const call: TrackedCall = { signal: controller.signal };
    const pending = c.network.track(call, () => c.network.sendGetRequestAsync(`${server.url}/slow`));
    setImmediate(() => controller.abort());
    await expect(pending).rejects.toThrow();
    expect(call.failure?.cause).toMatchObject({ name: 'AbortError' });
  });

  it('gives up after the configured timeout', async () => {
    const c = client({ timeoutMs: 200 });
    close = c.close;
    const call: TrackedCall = {};
    await expect(
      c.network.track(call, () => c.network.sendGetRequestAsync(`${server.url}/slow`)),
    ).rejects.toThrow();
    expect(call.failure?.cause).toMatchObject({ name: 'TimeoutError' });
  });
});

describe('createHttpAgent with a proxy', () => {
  let proxy: ConnectProxy;
  let close: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    proxy = await startConnectProxy();
  });
  afterEach(async () => {
    await close?.();
    close = undefined;
  });
  afterAll(async () => {
    await proxy.close();
  });

  it('tunnels HTTPS through an HTTP CONNECT proxy, still verifying the server', async () => {
    const c = client({ proxy: proxy.url });
    close = c.close;
    const before = proxy.connects.length;
    const response = await c.network.sendGetRequestAsync(`${server.url}/ok`);
    expect(response.status).toBe(200);
    expect(proxy.connects.slice(before)).toEqual([new URL(server.url).host]);
  });

  it('goes direct to hosts listed in noProxy', async () => {
    const c = client({ proxy: proxy.url, noProxy: '127.0.0.1' });
    close = c.close;
    const before = proxy.connects.length;
    await c.network.sendGetRequestAsync(`${server.url}/ok`);
    expect(proxy.connects.length).toBe(before);
  });
});
