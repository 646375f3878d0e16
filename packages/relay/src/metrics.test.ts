import { startTelemetry } from '@kalisto/opentelemetry';
import { describe, expect, it } from 'vitest';
import { createMetricsRegistry, createRelayMetrics } from './metrics.js';

const telemetry = () => startTelemetry({ serviceName: 'relay-test', env: {} });

describe('createMetricsRegistry', () => {
  it('renders counters, gauges and collected gauges as Prometheus text, under their OpenTelemetry names', async () => {
    const registry = createMetricsRegistry(telemetry());
    const messages = registry.counter('relay.messages', 'Messages.');
    messages.inc({ listener: 'a', outcome: 'delivered' });
    messages.inc({ outcome: 'delivered', listener: 'a' }, 2);
    messages.inc({ listener: 'b"\\', outcome: 'x' });
    const open = registry.gauge('relay.open', 'Open.');
    open.inc();
    open.inc();
    open.dec();
    registry.collected('relay.depth', 'Depth.', async () => [{ labels: { state: 'dead' }, value: 4 }]);

    const text = await registry.render();
    expect(text).toContain('# HELP relay_messages_total Messages.\n# TYPE relay_messages_total counter\n');
    expect(text).toContain('relay_messages_total{listener="a",outcome="delivered"} 3\n');
    expect(text).toContain('relay_messages_total{listener="b\\"\\\\",outcome="x"} 1\n');
    expect(text).toContain('# TYPE relay_open gauge\nrelay_open 1\n');
    expect(text).toContain('# TYPE relay_depth gauge\nrelay_depth{state="dead"} 4\n');
  });

  it('counters read back what they counted, whatever the label order', () => {
    const registry = createMetricsRegistry(telemetry());
    const logins = registry.counter('relay.logins', 'Logins.');
    logins.inc({ listener: 'smtp', outcome: 'ok' });
    logins.inc({ outcome: 'ok', listener: 'smtp' });
    expect(logins.get({ listener: 'smtp', outcome: 'ok' })).toBe(2);
    expect(logins.get({ listener: 'imap', outcome: 'ok' })).toBe(0);
    const open = registry.gauge('relay.open', 'Open.');
    open.set({ listener: 'smtp' }, 5);
    open.set({ listener: 'smtp' }, 3);
    expect(open.get({ listener: 'smtp' })).toBe(3);
  });

  it('a collected gauge that fails renders no samples instead of failing the scrape', async () => {
    const registry = createMetricsRegistry(telemetry());
    registry.collected('relay.depth', 'Depth.', () => Promise.reject(new Error('redis down')));
    registry.counter('relay.logins', 'Logins.').inc({ outcome: 'ok' });
    const text = await registry.render();
    expect(text).not.toMatch(/^relay_depth/m);
    expect(text).toMatch(/^relay_logins_total\{outcome="ok"\} 1$/m);
  });
});

describe('createRelayMetrics', () => {
  it('keeps the Prometheus names of docs/relay.md', async () => {
    const metrics = createRelayMetrics(telemetry());
    metrics.connections.inc({ listener: 'submit' });
    metrics.logins.inc({ listener: 'submit', outcome: 'ok' });
    metrics.messages.inc({ listener: 'submit', outcome: 'delivered' });
    const text = await metrics.registry.render();
    expect(text).toMatch(/^kalisto_relay_connections_total\{listener="submit"\} 1$/m);
    expect(text).toMatch(/^kalisto_relay_logins_total\{listener="submit",outcome="ok"\} 1$/m);
    expect(text).toMatch(/^kalisto_relay_messages_total\{listener="submit",outcome="delivered"\} 1$/m);
    expect(text).toContain('# TYPE kalisto_relay_messages_total counter');
  });
});
