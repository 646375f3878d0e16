import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { APP } from '../../test/config-fixtures.js';
import { recordingLogger } from '../../test/runtime-fixtures.js';
import { resolveConfig } from '../config/resolve.js';
import { createTelemetry } from '../telemetry/index.js';
import { createCredentialExpiryTracker } from './credential-expiry.js';
import { watchCredentialExpiry } from './credential-expiry-watch.js';

const DAY = 86_400_000;

class CollectingReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

/** The gauge's points as (attributes, value). */
async function gaugePoints(reader: CollectingReader): Promise<{ attributes: object; value: number }[]> {
  const { resourceMetrics } = await reader.collect();
  const metric = resourceMetrics.scopeMetrics
    .flatMap((scope) => scope.metrics)
    .find((m) => m.descriptor.name === 'kalisto.credential.expiry');
  return (metric?.dataPoints ?? []).map((p) => ({ attributes: p.attributes, value: p.value as number }));
}

describe('watchCredentialExpiry', () => {
  const expires = Date.UTC(2027, 2, 31);
  const config = resolveConfig({ ...APP, 'o365.oauth.clientSecret.expires': '2027-03-31' });

  it('warns about the configured secret once and reports every credential on the gauge until closed', async () => {
    const reader = new CollectingReader();
    const telemetry = createTelemetry({ meterProvider: new MeterProvider({ readers: [reader] }) });
    const logger = recordingLogger();
    let now = expires - 10 * DAY;
    const watch = watchCredentialExpiry(
      { config, cache: undefined, logger, telemetry },
      { provider: 'msal', clock: { now: () => now }, tracker: createCredentialExpiryTracker() },
    );
    watch.checkConfigured();
    expect(logger.lines.map((l) => l.msg)).toEqual([expect.stringContaining('expires in 10 days')]);

    watch.track({
      kind: 'refresh_token',
      subject: 'refresh token of a@contoso.example',
      expiresAt: now + 60 * DAY,
    });
    now += DAY;
    expect(await gaugePoints(reader)).toEqual([
      {
        attributes: { 'kalisto.credential.kind': 'client_secret', 'kalisto.token.provider': 'msal' },
        value: 9 * 86_400,
      },
      {
        attributes: { 'kalisto.credential.kind': 'refresh_token', 'kalisto.token.provider': 'msal' },
        value: 59 * 86_400,
      },
    ]);
    watch.close();
    now += DAY;
    // Closed: the callback no longer runs, so the points keep their last values.
    expect((await gaugePoints(reader)).map((p) => p.value)).toEqual([9 * 86_400, 59 * 86_400]);
  });
});
