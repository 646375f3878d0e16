import { describe, expect, it } from 'vitest';
import { parseMetricsAddress } from './metrics-server.js';

describe('parseMetricsAddress', () => {
  it.each([
    ['9464', { host: '127.0.0.1', port: 9464 }],
    [':9464', { host: '127.0.0.1', port: 9464 }],
    ['0.0.0.0:9464', { host: '0.0.0.0', port: 9464 }],
    ['metrics.local:0', { host: 'metrics.local', port: 0 }],
    ['[::1]:9464', { host: '::1', port: 9464 }],
  ])('%s', (value, address) => {
    expect(parseMetricsAddress(value)).toEqual(address);
  });

  it.each(['', 'localhost', '127.0.0.1:', '127.0.0.1:99999', '::1:9464', 'http://127.0.0.1:9464'])(
    '"%s" is a usage error naming --metrics',
    (value) => {
      expect(() => parseMetricsAddress(value)).toThrow(/--metrics needs host:port or a port/);
    },
  );
});
