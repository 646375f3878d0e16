import { describe, expect, it } from 'vitest';
import { createMetricsRegistry } from './metrics.js';

describe('createMetricsRegistry', () => {
  it('renders counters, gauges and collected gauges in Prometheus text format', async () => {
    const registry = createMetricsRegistry();
    const messages = registry.counter('relay_messages_total', 'Messages.');
    messages.inc({ listener: 'a', outcome: 'delivered' });
    messages.inc({ outcome: 'delivered', listener: 'a' }, 2);
    messages.inc({ listener: 'b"\\', outcome: 'x' });
    const open = registry.gauge('relay_open', 'Open.');
    open.inc();
    open.inc();
    open.dec();
    registry.collected('relay_depth', 'Depth.', async () => [{ labels: { state: 'dead' }, value: 4 }]);

    expect(await registry.render()).toBe(
      [
        '# HELP relay_messages_total Messages.',
        '# TYPE relay_messages_total counter',
        'relay_messages_total{listener="a",outcome="delivered"} 3',
        'relay_messages_total{listener="b\\"\\\\",outcome="x"} 1',
        '# HELP relay_open Open.',
        '# TYPE relay_open gauge',
        'relay_open 1',
        '# HELP relay_depth Depth.',
        '# TYPE relay_depth gauge',
        'relay_depth{state="dead"} 4',
        '',
      ].join('\n'),
    );
  });

  it('a collected gauge that fails renders no samples instead of failing the scrape', async () => {
    const registry = createMetricsRegistry();
    registry.collected('relay_depth', 'Depth.', () => Promise.reject(new Error('redis down')));
    expect(await registry.render()).toBe('# HELP relay_depth Depth.\n# TYPE relay_depth gauge\n');
  });
});
