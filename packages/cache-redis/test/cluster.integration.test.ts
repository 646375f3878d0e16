import { type RedisCluster, startRedisCluster } from '@kalisto/test-support';
import { runCacheBackendSuite, tokenShapedValue } from '@kalisto/test-utils';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisCache } from '../src/index.js';

let cluster: RedisCluster;

beforeAll(async () => {
  cluster = await startRedisCluster();
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

runCacheBackendSuite(
  { describe, it, expect, afterAll },
  { name: 'redis (3-node cluster)', create: () => redisCache({ cluster: cluster.nodes }) },
);

runCacheBackendSuite(
  { describe, it, expect, afterAll },
  {
    name: 'redis (3-node cluster, hash tags, encrypted)',
    create: () => redisCache({ cluster: cluster.nodes, hashtags: true, encryptionKey: Buffer.alloc(32, 1) }),
  },
);

describe('redisCache on a Redis Cluster', () => {
  it('spreads keys over the nodes, and with hashtags keeps a key and its lock in one slot', async () => {
    const raw = new Cluster(cluster.nodes);
    raw.on('error', () => {});
    const cache = redisCache({ cluster: cluster.nodes, keyPrefix: 'slots:', hashtags: true });
    try {
      const slots = new Set<number>();
      for (let i = 0; i < 20; i++) {
        const key = `token-${i}`;
        await cache.set(key, tokenShapedValue(key), 60_000);
        const lock = await cache.acquireLock(key, 10_000);
        const dataSlot = Number(await raw.call('CLUSTER', 'KEYSLOT', `slots:{${key}}`));
        const lockSlot = Number(await raw.call('CLUSTER', 'KEYSLOT', `slots:lock:{${key}}`));
        expect(lockSlot).toBe(dataSlot);
        expect(await raw.exists(`slots:{${key}}`, `slots:lock:{${key}}`)).toBe(2);
        slots.add(dataSlot);
        await lock?.release();
      }
      expect(slots.size > 1).toBe(true);
    } finally {
      await cache.close();
      raw.disconnect();
    }
  });

  it('works on a Cluster client the user owns, and leaves it open', async () => {
    const own = new Cluster(cluster.nodes);
    own.on('error', () => {});
    try {
      const cache = redisCache({ cluster: own, keyPrefix: 'own:' });
      await cache.set('k', tokenShapedValue('own'), 60_000);
      expect(await cache.get('k')).toEqual(tokenShapedValue('own'));
      await cache.close();
      expect(await own.get('own:k')).toBe(JSON.stringify(tokenShapedValue('own')));
    } finally {
      own.disconnect();
    }
  });
});
