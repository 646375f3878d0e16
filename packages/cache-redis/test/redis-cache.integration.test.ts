import { randomBytes } from 'node:crypto';
import { CacheError, createKalisto } from '@kalisto/core';
import { type RedisServer, startRedisServer } from '@kalisto/test-support';
import { runCacheBackendSuite, tokenShapedValue } from '@kalisto/test-utils';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { redisCache } from '../src/index.js';

let server: RedisServer | undefined;
let url = process.env.REDIS_URL ?? '';
const owned: Redis[] = [];

beforeAll(async () => {
  if (url === '') {
    server = await startRedisServer();
    url = server.url;
  }
});

afterAll(async () => {
  for (const client of owned) client.disconnect();
  await server?.stop();
});

/** A plain client for looking at what the backend really stored. */
function rawClient(): Redis {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  owned.push(client);
  return client;
}

/** A logger that keeps its warnings. */
function warningLogger() {
  const warnings: { obj: object; msg: string | undefined }[] = [];
  const logger = {
    debug() {},
    info() {},
    warn: (obj: object, msg?: string) => void warnings.push({ obj, msg }),
    error() {},
  };
  return { warnings, logger };
}

const key = randomBytes(32).toString('base64');

runCacheBackendSuite(
  { describe, it, expect, afterAll },
  { name: 'redis (standalone)', create: () => redisCache({ url }) },
);
runCacheBackendSuite(
  { describe, it, expect, afterAll },
  {
    name: 'redis (standalone, encrypted)',
    create: () => redisCache({ url, encryptionKey: key, keyPrefix: 'enc:' }),
  },
);

describe('redisCache on a real redis-server', () => {
  it('hits with exactly one GET', async () => {
    const cache = redisCache({ url, keyPrefix: 'one-get:' });
    const raw = rawClient();
    try {
      await cache.set('k', tokenShapedValue('one-get'), 60_000);
      await raw.config('RESETSTAT');
      expect(await cache.get('k')).toEqual(tokenShapedValue('one-get'));
      const stats = String(await raw.info('commandstats'));
      const commands = [...stats.matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm)].map(
        ([, name, calls]) => `${name}=${calls}`,
      );
      // Besides our own CONFIG RESETSTAT and INFO: the one GET.
      const ours = commands.filter((entry) => !entry.startsWith('info=') && !entry.startsWith('config|'));
      expect(ours).toEqual(['get=1']);
    } finally {
      await cache.close();
    }
  });

  it("arms one timer per hit on its own client: ioredis's commandTimeout, none of its own", async () => {
    const cache = redisCache({ url, keyPrefix: 'one-timer:' });
    try {
      await cache.set('k', tokenShapedValue('one-timer'), 60_000);
      const timers = vi.spyOn(globalThis, 'setTimeout');
      try {
        for (let hit = 0; hit < 20; hit += 1) await cache.get('k');
        expect(timers).toHaveBeenCalledTimes(20);
      } finally {
        timers.mockRestore();
      }
    } finally {
      await cache.close();
    }
  });

  it('stores JSON in clear under the key prefix, with a PX expiry, when no key is given', async () => {
    const cache = redisCache({ url, keyPrefix: 'clear:' });
    const raw = rawClient();
    try {
      const token = tokenShapedValue('clear');
      await cache.set('k', token, 60_000);
      expect(JSON.parse((await raw.get('clear:k')) ?? 'null')).toEqual(token);
      const ttl = await raw.pttl('clear:k');
      expect(ttl > 0 && ttl <= 60_000).toBe(true);
    } finally {
      await cache.close();
    }
  });

  it('encrypts values at rest: no token bytes in clear, in text or base64', async () => {
    const cache = redisCache({ url, keyPrefix: 'sealed:', encryptionKey: key });
    const raw = rawClient();
    try {
      const token = tokenShapedValue('sealed-secret-part');
      await cache.set('k', token, 60_000);
      const stored = (await raw.getBuffer('sealed:k')) ?? Buffer.alloc(0);
      const accessToken = String(token.accessToken);
      for (const needle of [
        accessToken,
        'sealed-secret-part',
        Buffer.from(accessToken).toString('base64'),
        'contoso',
      ]) {
        expect(stored.includes(Buffer.from(needle))).toBe(false);
      }
      expect(stored[0]).toBe(1);
      expect(await cache.get('k')).toEqual(token);
    } finally {
      await cache.close();
    }
  });

  it('is said to store tokens in clear without a key: once, by createKalisto, naming the option and KALISTO_CACHE_KEY', async () => {
    vi.stubEnv('KALISTO_CACHE_KEY', undefined);
    const { warnings, logger } = warningLogger();
    const clear = redisCache({ url, keyPrefix: 'clear:', logger });
    const raw = rawClient();
    try {
      expect(clear.encrypted).toBe(false);
      // The backend's own logger stays for connection and value warnings: one path for this one.
      expect(warnings).toHaveLength(0);
      const kalisto = createKalisto({ caches: [clear], logger });
      expect(warnings).toHaveLength(1);
      expect(warnings[0]?.obj).toMatchObject({
        cache: 'redis',
        option: 'encryptionKey',
        env: 'KALISTO_CACHE_KEY',
      });
      expect(warnings[0]?.msg).toMatch(/stored in clear.*encryptionKey.*KALISTO_CACHE_KEY/);
      await clear.set('k', tokenShapedValue('clear'), 60_000);
      await clear.get('k');
      expect(warnings).toHaveLength(1);
      // What the warning is about: the token is readable by anyone who can read Redis.
      expect(await raw.get('clear:k')).toContain(String(tokenShapedValue('clear').accessToken));
      await kalisto.close();
    } finally {
      vi.unstubAllEnvs();
      await clear.close();
    }
  });

  it('says nothing and reports encrypted with a key, given as an option or in KALISTO_CACHE_KEY', async () => {
    const { warnings, logger } = warningLogger();
    const option = redisCache({ url, encryptionKey: key, logger });
    vi.stubEnv('KALISTO_CACHE_KEY', randomBytes(32).toString('hex'));
    const fromEnv = redisCache({ url, logger });
    vi.unstubAllEnvs();
    try {
      expect(option.encrypted).toBe(true);
      expect(fromEnv.encrypted).toBe(true);
      await option.get('k');
      await createKalisto({ caches: { option, fromEnv }, logger }).close();
      expect(warnings).toEqual([]);
    } finally {
      await option.close();
      await fromEnv.close();
    }
  });

  it('reads a value moved to another key, or sealed with another key, as a miss', async () => {
    const { warnings, logger } = warningLogger();
    const cache = redisCache({ url, keyPrefix: 'moved:', encryptionKey: key, logger });
    const stranger = redisCache({ url, keyPrefix: 'moved:', encryptionKey: randomBytes(32) });
    const raw = rawClient();
    try {
      await cache.set('a', tokenShapedValue('a'), 60_000);
      await raw.set('moved:b', (await raw.getBuffer('moved:a')) ?? '', 'PX', 60_000);
      expect(await cache.get('b')).toBeUndefined();
      expect(await stranger.get('a')).toBeUndefined();
      expect(await cache.get('a')).toEqual(tokenShapedValue('a'));
      expect(warnings.length).toBe(1);
    } finally {
      await cache.close();
      await stranger.close();
    }
  });

  it('opens values sealed with a previous key when keys rotate', async () => {
    const previous = randomBytes(32);
    const before = redisCache({ url, keyPrefix: 'rotate:', encryptionKey: previous });
    const after = redisCache({ url, keyPrefix: 'rotate:', encryptionKey: [randomBytes(32), previous] });
    try {
      await before.set('k', tokenShapedValue('rotate'), 60_000);
      expect(await after.get('k')).toEqual(tokenShapedValue('rotate'));
    } finally {
      await before.close();
      await after.close();
    }
  });

  it('takes the key from KALISTO_CACHE_KEY when no option is given', async () => {
    const previous = process.env.KALISTO_CACHE_KEY;
    process.env.KALISTO_CACHE_KEY = randomBytes(32).toString('hex');
    const raw = rawClient();
    const cache = redisCache({ url, keyPrefix: 'env:' });
    try {
      await cache.set('k', tokenShapedValue('env'), 60_000);
      expect((await raw.getBuffer('env:k'))?.[0]).toBe(1);
      expect(await cache.get('k')).toEqual(tokenShapedValue('env'));
    } finally {
      if (previous === undefined) delete process.env.KALISTO_CACHE_KEY;
      else process.env.KALISTO_CACHE_KEY = previous;
      await cache.close();
    }
  });

  it('never closes a client it was given', async () => {
    const client = rawClient();
    const cache = redisCache({ client, keyPrefix: 'borrowed:' });
    await cache.set('k', 'v', 60_000);
    await cache.close();
    await expect(cache.get('k')).rejects.toMatchObject({ code: 'CACHE_CLOSED' });
    expect(await client.get('borrowed:k')).toBe('"v"');
  });

  it('reports wrong credentials as CACHE_AUTH without echoing the password', async () => {
    const locked = await startRedisServer(['--requirepass', 'right-password']);
    const cache = redisCache({
      url: `redis://:wrong-password@127.0.0.1:${locked.port}`,
      connectTimeoutMs: 1_000,
    });
    try {
      const error = await cache.get('k').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(CacheError);
      const text = `${(error as Error).message} ${String((error as Error).cause)}`;
      expect(text).not.toContain('wrong-password');
      expect((error as CacheError).code).toBe('CACHE_AUTH');
    } finally {
      await cache.close();
      await locked.stop();
    }
  });
});
