import { afterEach, describe, expect, it } from 'vitest';
import { fakeClock, fakeProvider, testConfig } from '../../test/runtime-fixtures.js';
import { inMemorySdk } from '../../test/telemetry-sdk.js';
import { defineProtocolProvider } from '../define/protocol-provider.js';
import { defineTokenProvider } from '../define/token-provider.js';
import { AuthenticationError } from '../errors/errors.js';
import type { KalistoTelemetry } from '../telemetry/kalisto-telemetry.js';
import { createKalisto } from './kalisto.js';

let sdk = inMemorySdk();
afterEach(async () => {
  await sdk.shutdown();
  sdk = inMemorySdk();
});

/** An IMAP provider whose clients can close by themselves (`drop`), and that refuses logins on demand. */
function setup() {
  const forgets: (() => void)[] = [];
  const seen: { telemetry?: KalistoTelemetry | undefined } = {};
  let refuse = false;
  const imap = defineProtocolProvider<{ id: number }>({
    protocol: 'imap',
    type: 'store',
    async create({ session, telemetry }) {
      seen.telemetry = telemetry;
      await session.tokens.getToken();
      if (refuse)
        throw new AuthenticationError('[imap] refused', { code: 'AUTH_MAILBOX_DENIED', protocol: 'imap' });
      return { id: forgets.length };
    },
    async close() {},
    onClosed(_client, forget) {
      forgets.push(forget);
    },
  });
  const clock = fakeClock();
  const kalisto = createKalisto({
    protocols: [imap],
    tokenProviders: [defineTokenProvider({ name: 'fake', create: () => fakeProvider({ clock }) })],
    clock,
    telemetry: { meterProvider: sdk.meterProvider, tracerProvider: sdk.tracerProvider },
  });
  const session = kalisto.session(testConfig());
  return {
    kalisto,
    session,
    forgets,
    seen,
    refuse: () => {
      refuse = true;
    },
  };
}

const open = async () =>
  (await sdk.metrics()).total('kalisto.mail.connections', { 'kalisto.protocol': 'imap' });

describe('a session’s telemetry', () => {
  it('counts open clients down once each, whether the client closes by itself or the session closes it', async () => {
    const { kalisto, session, forgets, seen } = setup();
    for (let i = 0; i < 3; i++) await session.store('imap');
    expect(seen.telemetry).toBe(session.telemetry);
    expect(await open()).toBe(3);
    forgets[0]?.();
    forgets[0]?.();
    expect(await open()).toBe(2);
    await kalisto.close();
    forgets[1]?.();
    expect(await open()).toBe(0);
  });

  it('counts a refused login with its code, in a failed kalisto.mail.connect span', async () => {
    const { kalisto, session, refuse } = setup();
    refuse();
    await expect(session.store('imap')).rejects.toMatchObject({ code: 'AUTH_MAILBOX_DENIED' });
    const metrics = await sdk.metrics();
    expect(metrics.points('kalisto.mail.logins')).toEqual([
      {
        value: 1,
        attributes: {
          'kalisto.protocol': 'imap',
          'kalisto.outcome': 'failure',
          'error.type': 'AUTH_MAILBOX_DENIED',
        },
      },
    ]);
    expect(await open()).toBe(0);
    const [connect] = sdk.spansNamed('kalisto.mail.connect');
    expect(connect?.status).toEqual({ code: 2, message: 'AUTH_MAILBOX_DENIED' });
    expect(sdk.spansNamed('kalisto.token.acquire')[0]?.parentSpanContext?.spanId).toBe(
      connect?.spanContext().spanId,
    );
    await kalisto.close();
  });

  it('records nothing with telemetry: false, even with an SDK registered globally', async () => {
    const { metrics } = await import('@opentelemetry/api');
    metrics.setGlobalMeterProvider(sdk.meterProvider);
    try {
      const clock = fakeClock();
      const kalisto = createKalisto({
        tokenProviders: [defineTokenProvider({ name: 'fake', create: () => fakeProvider({ clock }) })],
        clock,
        telemetry: false,
      });
      const session = kalisto.session(testConfig());
      await session.tokens.getToken();
      expect(session.telemetry.enabled).toBe(false);
      expect((await sdk.metrics()).names).toEqual([]);
      await kalisto.close();
    } finally {
      metrics.disable();
    }
  });
});
