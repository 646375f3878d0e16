import { type RedisSentinel, startRedisSentinel } from '@kalisto/test-support';
import { runCacheBackendSuite, tokenShapedValue } from '@kalisto/test-utils';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisCache } from '../src/index.js';

let setup: RedisSentinel;

beforeAll(async () => {
  setup = await startRedisSentinel();
}, 60_000);

afterAll(async () => {
  await setup?.stop();
});

runCacheBackendSuite(
  { describe, it, expect, afterAll },
  {
    name: 'redis (through Sentinel)',
    create: () => redisCache({ sentinels: [setup.sentinel], masterName: setup.name }),
  },
);

describe('redisCache through Sentinel', () => {
  it('finds the master through the sentinel and writes there', async () => {
    const cache = redisCache({ sentinels: [setup.sentinel], masterName: setup.name, keyPrefix: 'sentinel:' });
    const master = new Redis(setup.master.url);
    master.on('error', () => {});
    try {
      await cache.set('k', tokenShapedValue('sentinel'), 60_000);
      expect(JSON.parse((await master.get('sentinel:k')) ?? 'null')).toEqual(tokenShapedValue('sentinel'));
    } finally {
      await cache.close();
      master.disconnect();
    }
  });
});
