import { afterEach, describe, expect, it } from 'vitest';
import { inMemorySdk as createInMemoryTelemetry } from '../../test/telemetry-sdk.js';
import { TokenError } from '../errors/errors.js';
import { INSTRUMENTS } from './instruments.js';
import { noopTelemetry } from './kalisto-telemetry.js';
import { loadOpenTelemetryApi } from './loader.js';
import { createTelemetry, telemetryOf } from './recorder.js';

const JWT = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZGVsZUBjb250b3NvLmV4YW1wbGUifQ.c2lnbmF0dXJlLWZvci1hLXRlc3Q';

let sdk = createInMemoryTelemetry();
afterEach(async () => {
  await sdk.shutdown();
  sdk = createInMemoryTelemetry();
});

describe('createTelemetry', () => {
  it('creates every instrument of the table, with its unit and description', async () => {
    const telemetry = createTelemetry({ meterProvider: sdk.meterProvider });
    expect(telemetry.enabled).toBe(true);
    telemetry.tokenRequest('msal', 'client_credentials', 0.2);
    telemetry.tokenAcquisition('msal', 'memory');
    telemetry.tokenLockWait(0.1, 'success');
    telemetry.cacheOperation('redis', 'get', 'hit');
    telemetry.mailLogin('imaps', 'outlook.office365.com', 0.3);
    telemetry.mailConnections('imaps', 1);
    telemetry.mailCommand('imaps', 'SELECT', 0.01);
    telemetry.mailReconnect('imaps', 'reset');
    telemetry.watchRenewal('imaps');
    telemetry.observeCredentialExpiry(() => [
      { kind: 'client_secret', provider: 'msal', secondsLeft: 86_400 },
    ]);
    const metrics = await sdk.metrics();
    expect(metrics.names).toEqual(INSTRUMENTS.map((row) => row.name).sort());
    for (const row of INSTRUMENTS) {
      expect(metrics.descriptors.get(row.name)).toMatchObject({
        unit: row.unit,
        description: row.description,
      });
    }
  });

  it('records a failed token request with its Kalisto code and AADSTS number, never its message', async () => {
    const telemetry = createTelemetry({ meterProvider: sdk.meterProvider });
    const error = new TokenError(`[token:msal] AADSTS7000215: Invalid client secret ${JWT}`, {
      code: 'TOKEN_INVALID_CLIENT_SECRET',
      aadsts: '7000215',
    });
    telemetry.tokenRequest('msal', 'client_credentials', 0.2, error);
    const [point] = (await sdk.metrics()).points('kalisto.token.requests');
    expect(point).toEqual({
      value: 1,
      attributes: {
        'kalisto.token.provider': 'msal',
        'kalisto.token.flow': 'client_credentials',
        'kalisto.outcome': 'failure',
        'error.type': 'TOKEN_INVALID_CLIENT_SECRET',
        'kalisto.aadsts': '7000215',
      },
    });
  });

  it('drops attribute values that look like a token, and keys that name a secret', async () => {
    const telemetry = createTelemetry({
      meterProvider: sdk.meterProvider,
      tracerProvider: sdk.tracerProvider,
    });
    telemetry.cacheOperation(JWT, 'get', 'miss');
    const span = telemetry.startSpan('kalisto.mail.connect', {
      'kalisto.protocol': 'imaps',
      'server.address': JWT,
    });
    span.setAttribute('kalisto.client_secret', 'abc');
    span.setAttribute('kalisto.refresh_token', 'short');
    span.setAttribute('server.port', 993);
    span.end();
    const [point] = (await sdk.metrics()).points('kalisto.cache.operations');
    expect(point?.attributes).toEqual({ 'kalisto.cache.operation': 'get', 'kalisto.cache.result': 'miss' });
    expect(sdk.spans()[0]?.attributes).toEqual({ 'kalisto.protocol': 'imaps', 'server.port': 993 });
  });

  it('makes spans started inside withSpan its children, and marks a failure with its code only', async () => {
    const telemetry = createTelemetry({ tracerProvider: sdk.tracerProvider });
    const failure = Object.assign(new Error(`refused ${JWT}`), { code: 'ECONNRESET' });
    await expect(
      telemetry.withSpan('kalisto.mail.connect', { 'kalisto.protocol': 'imaps' }, async () => {
        await telemetry.withSpan('kalisto.token.acquire', undefined, async () => {});
        throw failure;
      }),
    ).rejects.toBe(failure);
    const [connect] = sdk.spansNamed('kalisto.mail.connect');
    const [acquire] = sdk.spansNamed('kalisto.token.acquire');
    expect(acquire?.parentSpanContext?.spanId).toBe(connect?.spanContext().spanId);
    expect(connect?.status).toEqual({ code: 2, message: 'ECONNRESET' });
    expect(connect?.attributes['error.type']).toBe('ECONNRESET');
    expect(connect?.events).toEqual([]);
  });

  it('is the no-op recorder when @opentelemetry/api cannot be loaded', () => {
    const telemetry = createTelemetry({
      loadApi: () => {
        throw Object.assign(new Error("Cannot find module '@opentelemetry/api'"), {
          code: 'MODULE_NOT_FOUND',
        });
      },
    });
    expect(telemetry).toBe(noopTelemetry);
    expect(loadOpenTelemetryApi(() => ({}) as never)).toBeUndefined();
  });

  it('is the no-op recorder when the api is there but no SDK is registered', () => {
    expect(loadOpenTelemetryApi()).toBeDefined();
    expect(createTelemetry()).toBe(noopTelemetry);
  });

  it('uses the providers registered with @opentelemetry/api when none are given', async () => {
    const api = loadOpenTelemetryApi();
    if (api === undefined) throw new Error('@opentelemetry/api is a devDependency of core');
    const { metrics } = await import('@opentelemetry/api');
    metrics.setGlobalMeterProvider(sdk.meterProvider);
    try {
      createTelemetry().mailReconnect('pop3s', 'reset');
      expect((await sdk.metrics()).total('kalisto.mail.reconnects')).toBe(1);
    } finally {
      metrics.disable();
    }
  });
});

describe('telemetryOf', () => {
  it('is the context’s recorder, else the session’s, else the no-op one', () => {
    const own = createTelemetry({ meterProvider: sdk.meterProvider });
    expect(telemetryOf({ telemetry: own })).toBe(own);
    expect(telemetryOf({ session: { telemetry: own } })).toBe(own);
    expect(telemetryOf({})).toBe(noopTelemetry);
  });
});
