import { ConfigError } from '@kalisto/core';
import { describe, expect, it } from 'vitest';
import { redisCache } from './redis-cache.js';

// Option checks happen before any client exists: nothing here connects anywhere.
describe('redisCache options', () => {
  it('takes one options object, and refuses the former (connection, options) pair rather than drop the options', () => {
    const twoArguments = () =>
      (redisCache as (...args: unknown[]) => unknown)(
        { url: 'redis://127.0.0.1:1' },
        { encryptionKey: Buffer.alloc(32, 1) },
      );
    expect(twoArguments).toThrow(ConfigError);
    expect(twoArguments).toThrow(
      /one options object, e\.g\. redisCache\(\{ url, keyPrefix, encryptionKey \}\)/,
    );
  });

  it('wants exactly one of url, client, cluster or sentinels', () => {
    const none = () => redisCache({ keyPrefix: 'x:' } as never);
    expect(none).toThrow(ConfigError);
    expect(none).toThrow(/redisCache.*exactly one of url, client, cluster or sentinels/);
    const both = () => redisCache({ url: 'redis://127.0.0.1:1', cluster: [] } as never);
    expect(both).toThrow(/"url and cluster"/);
  });

  it('names the master group a Sentinel connection needs', () => {
    const unnamed = () => redisCache({ sentinels: [{ host: '127.0.0.1', port: 1 }] } as never);
    expect(unnamed).toThrow(/redisCache\.masterName.*the name of the master group/);
  });
});
