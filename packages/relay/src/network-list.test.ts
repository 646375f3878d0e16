import { describe, expect, it } from 'vitest';
import { createNetworkList, isLoopbackHost, parseNetwork } from './network-list.js';

describe('createNetworkList', () => {
  const list = createNetworkList(['192.168.10.0/24', '2001:db8::/64', '127.0.0.2']);

  it.each([
    ['192.168.10.77', true],
    ['192.168.11.1', false],
    ['::ffff:192.168.10.5', true],
    ['2001:db8::1234', true],
    ['2001:db8:0:1::1', false],
    ['127.0.0.2', true],
    ['127.0.0.3', false],
    ['not an address', false],
    [undefined, false],
  ] as const)('%s → %s', (address, expected) => {
    expect(list.contains(address)).toBe(expected);
  });
});

describe('parseNetwork', () => {
  it.each(['0.0.0.0/0', '::/0', '10.0.0.0/33', 'example.com/24', '10.0.0.0/8/8', '10.0.0.0/x'])(
    'refuses %s',
    (text) => {
      expect('problem' in parseNetwork(text)).toBe(true);
    },
  );
});

describe('isLoopbackHost', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.8.9.10', true],
    ['::1', true],
    ['localhost', true],
    ['0.0.0.0', false],
    ['::', false],
    ['192.168.1.10', false],
  ] as const)('%s → %s', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });
});
