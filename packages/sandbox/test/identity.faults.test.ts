import { ConfidentialClientApplication } from '@azure/msal-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSandboxNetworkClient, type Sandbox, startSandbox } from '../src/index.js';

const APP_SCOPE = 'https://outlook.office365.com/.default';

describe('fault injection on the token endpoint', () => {
  let sandbox: Sandbox;

  beforeAll(async () => {
    sandbox = await startSandbox({ mail: false });
  });
  afterEach(() => sandbox.hooks.clearFaults());
  afterAll(async () => {
    await sandbox?.stop();
  });

  // A fresh MSAL instance each time: MSAL remembers a 429/5xx per request shape and refuses locally.
  const acquire = () => {
    const cfg = sandbox.msalConfig();
    const app = new ConfidentialClientApplication({
      auth: { ...cfg.auth, clientSecret: sandbox.fixtures.confidentialApp.secret },
      system: cfg.system,
    });
    return app.acquireTokenByClientCredential({ scopes: [APP_SCOPE], skipCache: true });
  };
  const rawTokenRequest = () =>
    createSandboxNetworkClient({ ca: sandbox.ca }).sendPostRequestAsync<Record<string, unknown>>(
      sandbox.endpoints.tokenUrl,
      {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: sandbox.fixtures.confidentialApp.clientId,
          client_secret: sandbox.fixtures.confidentialApp.secret,
          scope: APP_SCOPE,
        }).toString(),
      },
    );

  it('429 with Retry-After reaches the HTTP client and MSAL', async () => {
    sandbox.hooks.injectFault({ status: 429, retryAfterSeconds: 7 }, 2);
    const raw = await rawTokenRequest();
    expect(raw.status).toBe(429);
    expect(raw.headers['retry-after']).toBe('7');
    expect(raw.body).toMatchObject({ error: 'temporarily_unavailable', error_codes: [90055] });
    await expect(acquire()).rejects.toMatchObject({
      name: 'ServerError',
      status: 429,
      errorCode: 'temporarily_unavailable',
    });
  });

  it('503 reaches MSAL as a ServerError with status 503; a 500 keeps its own status', async () => {
    sandbox.hooks.injectFault({ status: 503 });
    await expect(acquire()).rejects.toMatchObject({ status: 503, errorCode: 'temporarily_unavailable' });
    sandbox.hooks.injectFault({ status: 500 });
    expect((await rawTokenRequest()).status).toBe(500);
  });

  it('a dropped connection reaches the client as a network failure', async () => {
    sandbox.hooks.injectFault({ drop: true }, 2);
    await expect(rawTokenRequest()).rejects.toThrow(/socket hang up|ECONNRESET/);
    await expect(acquire()).rejects.toMatchObject({ errorCode: 'network_error' });
  });

  it('latency delays the answer, and faults end after `count` requests', async () => {
    sandbox.hooks.injectFault({ latencyMs: 50, status: 503 }, 1);
    sandbox.hooks.injectFault({ latencyMs: 20 }, 1);
    expect((await rawTokenRequest()).status).toBe(503);
    const delayedButFine = await rawTokenRequest();
    expect(delayedButFine.status).toBe(200);
    expect(typeof delayedButFine.body.access_token).toBe('string');
    await expect(acquire()).resolves.toMatchObject({ accessToken: expect.any(String) });
  });

  it('counts every token request per grant type, faulted ones included', async () => {
    sandbox.hooks.resetRequestCounts();
    sandbox.hooks.injectFault({ status: 503 });
    await rawTokenRequest();
    await rawTokenRequest();
    expect(sandbox.hooks.requestCounts()).toMatchObject({ client_credentials: 2, password: 0, discovery: 0 });
  });
});
