import { afterEach, describe, expect, it } from 'vitest';
import {
  fakeClock,
  fakeProvider,
  type ProviderStep,
  recordingSleep,
  testCache,
  testConfig,
} from '../../test/runtime-fixtures.js';
import { inMemorySdk } from '../../test/telemetry-sdk.js';
import { createTelemetry } from '../telemetry/recorder.js';
import { createTokenManager, type TokenManagerOptions } from './manager.js';

let sdk = inMemorySdk();
afterEach(async () => {
  await sdk.shutdown();
  sdk = inMemorySdk();
});

function setup(
  opts: { script?: ProviderStep[]; gated?: boolean; cache?: boolean | 'lock' } = {},
  extra: Partial<TokenManagerOptions> = {},
) {
  const clock = fakeClock();
  const provider = fakeProvider({ clock, script: opts.script, gated: opts.gated });
  const cache = opts.cache ? testCache({ clock, lock: opts.cache === 'lock' }) : undefined;
  const telemetry = createTelemetry({ meterProvider: sdk.meterProvider, tracerProvider: sdk.tracerProvider });
  const manager = createTokenManager({
    config: testConfig(),
    provider,
    cache,
    clock,
    sleep: recordingSleep(clock),
    random: () => 0.5,
    telemetry,
    ...extra,
  });
  return { manager, provider, cache, clock };
}

const source = (value: string) => ({ 'kalisto.token.source': value });

describe('the token manager’s telemetry', () => {
  it('counts 100 concurrent callers as 1 request, 1 provider acquisition and 99 flight joins', async () => {
    const { manager, provider } = setup({ gated: true });
    const calls = Array.from({ length: 100 }, () => manager.getToken());
    provider.release();
    await Promise.all(calls);
    await manager.getToken();
    const metrics = await sdk.metrics();
    expect(metrics.total('kalisto.token.requests')).toBe(1);
    expect(metrics.total('kalisto.token.acquisitions', source('provider'))).toBe(1);
    expect(metrics.total('kalisto.token.acquisitions', source('flight'))).toBe(99);
    expect(metrics.total('kalisto.token.acquisitions', source('memory'))).toBe(1);
    expect(sdk.spansNamed('kalisto.token.acquire')).toHaveLength(1);
  });

  it('counts a token another manager put in the shared cache as a cache acquisition and a hit', async () => {
    const first = setup({ cache: true });
    await first.manager.getToken();
    const second = createTokenManager({
      config: testConfig(),
      provider: fakeProvider({ clock: first.clock }),
      cache: first.cache,
      clock: first.clock,
      telemetry: createTelemetry({ meterProvider: sdk.meterProvider }),
    });
    await second.getToken();
    const metrics = await sdk.metrics();
    expect(metrics.total('kalisto.token.acquisitions', source('cache'))).toBe(1);
    expect(
      metrics.total('kalisto.cache.operations', {
        'kalisto.cache.backend': 'test',
        'kalisto.cache.operation': 'get',
        'kalisto.cache.result': 'hit',
      }),
    ).toBe(1);
  });

  it('counts each attempt of a retried request, the transient failure with its code', async () => {
    const { manager } = setup({ script: ['transient', 'ok'] });
    await manager.getToken();
    const metrics = await sdk.metrics();
    expect(metrics.total('kalisto.token.requests', { 'kalisto.outcome': 'failure' })).toBe(1);
    expect(metrics.total('kalisto.token.requests', { 'kalisto.outcome': 'success' })).toBe(1);
    const [failed] = metrics.points('kalisto.token.requests').filter((p) => p.attributes['error.type']);
    expect(failed?.attributes['error.type']).toMatch(/^[A-Z_]+$/);
  });

  it('counts a failing cache as errors of its backend, and getToken still answers', async () => {
    const { manager, cache } = setup({ cache: 'lock' });
    if (cache === undefined) throw new Error('no cache');
    cache.broken = true;
    await manager.getToken();
    const metrics = await sdk.metrics();
    expect(
      metrics.total('kalisto.cache.operations', { 'kalisto.cache.result': 'error' }),
    ).toBeGreaterThanOrEqual(2);
    expect(metrics.total('kalisto.cache.operations', { 'kalisto.cache.result': 'hit' })).toBe(0);
  });

  it('times a wait for another process’s lock, a failure when the holder delivers nothing', async () => {
    const clock = fakeClock();
    const cache = testCache({ clock, lock: true });
    const stuck = fakeProvider({ clock, gated: true });
    void createTokenManager({ config: testConfig(), provider: stuck, cache, clock }).getToken();
    const waiter = createTokenManager({
      config: testConfig(),
      provider: fakeProvider({ clock }),
      cache,
      clock,
      sleep: recordingSleep(),
      lockWaitMs: 300,
      lockPollMs: 100,
      telemetry: createTelemetry({ meterProvider: sdk.meterProvider }),
    });
    await waiter.getToken();
    stuck.release();
    const metrics = await sdk.metrics();
    expect(metrics.points('kalisto.token.lock.wait.duration')).toEqual([
      { attributes: { 'kalisto.outcome': 'failure' }, value: 1 },
    ]);
    expect(metrics.total('kalisto.cache.operations', { 'kalisto.cache.result': 'busy' })).toBe(4);
  });
});
