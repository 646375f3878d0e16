import { inspect } from 'node:util';
import { CacheError } from '@kalisto/core';
import { freePort, type RedisServer, rawCommand, startRedisServer } from '@kalisto/test-support';
import { tokenShapedValue } from '@kalisto/test-utils';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisCache, redisCache } from '../src/index.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Generous: only a hang (an offline queue waiting through reconnects) takes this long.
const HANG = 5_000;

let server: RedisServer;
let cache: RedisCache;
const token = tokenShapedValue('outage-secret');
const encryptionKey = Buffer.alloc(32, 7).toString('hex');

beforeAll(async () => {
  server = await startRedisServer();
  cache = redisCache({
    url: `redis://:pa55word-in-url@127.0.0.1:${server.port}`,
    commandTimeoutMs: 500,
    encryptionKey,
  });
}, 30_000);

afterAll(async () => {
  await cache?.close();
  await server?.stop();
});

/** Outcome and duration of one call: the error, or the fact it succeeded. */
async function outcome(call: () => Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = Date.now();
  try {
    await call();
    return { error: undefined, ms: Date.now() - started };
  } catch (error) {
    return { error, ms: Date.now() - started };
  }
}

describe('redisCache when Redis goes away and comes back', () => {
  it('fails every call fast with a CacheError while Redis is down, then works again after a restart', async () => {
    // The server has no requirepass: ioredis sends AUTH with the URL's password and Redis answers with an error
    // it treats as a warning, so this also shows the password never reaches a message.
    await cache.set('k', token, 60_000);
    expect(await cache.get('k')).toEqual(token);

    await server.kill();
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['get', () => cache.get('k')],
      ['set', () => cache.set('k', token, 60_000)],
      ['delete', () => cache.delete('k')],
      ['acquireLock', () => cache.acquireLock('k', 1_000)],
      ['get again', () => cache.get('k')],
    ];
    const errors: unknown[] = [];
    for (const [name, call] of calls) {
      const { error, ms } = await outcome(call);
      errors.push(error);
      expect(error, name).toBeInstanceOf(CacheError);
      expect(['CACHE_UNAVAILABLE', 'CACHE_TIMEOUT'], name).toContain((error as CacheError).code);
      expect((error as CacheError).backend).toBe('redis');
      expect((error as Error).message.startsWith('[cache:redis] ')).toBe(true);
      expect(ms < HANG, `${name} took ${ms} ms`).toBe(true);
    }

    const printed = errors
      .map((error) => `${inspect(error, { depth: 5 })} ${JSON.stringify(error)}`)
      .join('\n');
    for (const secret of [String(token.accessToken), 'outage-secret', 'pa55word-in-url', encryptionKey]) {
      expect(printed).not.toContain(secret);
    }

    await server.start();
    const deadline = Date.now() + 15_000;
    let back = false;
    while (!back && Date.now() < deadline) {
      back = (await outcome(() => cache.get('k'))).error === undefined;
      if (!back) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(back).toBe(true);
    await cache.set('k', token, 60_000);
    expect(await cache.get('k')).toEqual(token);
  });

  it('lets many callers wait for a lost connection on one listener, not one each', async () => {
    const client = new Redis('redis://127.0.0.1:1', { enableOfflineQueue: false, retryStrategy: () => 200 });
    client.on('error', () => {});
    const borrowed = redisCache({ client, commandTimeoutMs: 300 });
    try {
      const before = client.listenerCount('ready');
      const calls = Array.from({ length: 50 }, () => outcome(() => borrowed.get('k')));
      await new Promise((resolve) => setImmediate(resolve));
      // ioredis adds a listener of its own while connecting; one per waiting call would make it 50 more.
      expect(client.listenerCount('ready') - before).toBeLessThan(5);
      const results = await Promise.all(calls);
      expect(results.every(({ error }) => error instanceof CacheError)).toBe(true);
    } finally {
      await borrowed.close();
      client.disconnect();
    }
  });

  it('never sends a call later that already failed for its caller while Redis was away', async () => {
    const port = await freePort();
    const client = new Redis(`redis://127.0.0.1:${port}`, {
      enableOfflineQueue: false,
      retryStrategy: () => 100,
    });
    client.on('error', () => {});
    const borrowed = redisCache({ client, commandTimeoutMs: 300, connectTimeoutMs: 300 });
    let late: RedisServer | undefined;
    try {
      // Nothing listens on the port yet: the call waits for a connection, and times out.
      const { error } = await outcome(() => borrowed.acquireLock('late', 60_000));
      expect(error).toBeInstanceOf(CacheError);
      late = await startRedisServer([], port);
      const deadline = Date.now() + 10_000;
      while (client.status !== 'ready' && Date.now() < deadline) await sleep(50);
      expect(client.status).toBe('ready');
      await sleep(200);
      expect(await client.exists('kalisto:lock:late')).toBe(0);
    } finally {
      await borrowed.close();
      client.disconnect();
      await late?.stop();
    }
  });

  it('times out a call Redis does not answer, on its own client and on a given one, without the value', async () => {
    const hung = await startRedisServer();
    // A given client without commandTimeout: only the backend's own deadline bounds its calls.
    const client = new Redis(hung.url);
    client.on('error', () => {});
    const own = redisCache({ url: hung.url, commandTimeoutMs: 300, encryptionKey });
    const given = redisCache({ client, commandTimeoutMs: 300, keyPrefix: 'given:' });
    try {
      await own.set('k', token, 60_000);
      await given.set('k', token, 60_000);
      // Connections stay up, but Redis holds every command for far longer than the timeout.
      expect(await rawCommand(hung.port, 'CLIENT PAUSE 5000 ALL')).toBe('+OK\r\n');
      const errors: unknown[] = [];
      for (const [name, call] of [
        ['own get', () => own.get('k')],
        ['own set', () => own.set('k', token, 60_000)],
        ['given get', () => given.get('k')],
        ['given set', () => given.set('k', token, 60_000)],
      ] as const) {
        const { error, ms } = await outcome(call);
        errors.push(error);
        expect(error, name).toBeInstanceOf(CacheError);
        expect((error as CacheError).code, name).toBe('CACHE_TIMEOUT');
        expect(ms < HANG, `${name} took ${ms} ms`).toBe(true);
      }
      const printed = errors
        .map((error) => `${inspect(error, { depth: 5 })} ${JSON.stringify(error)}`)
        .join('\n');
      expect(printed).not.toContain(String(token.accessToken));
      expect(printed).not.toContain('outage-secret');
    } finally {
      await own.close();
      await given.close();
      client.disconnect();
      await hung.stop();
    }
  });

  it('fails a call made while the first connection cannot be opened, within the bound', async () => {
    const nobody = redisCache({ url: 'redis://127.0.0.1:1', commandTimeoutMs: 300, connectTimeoutMs: 300 });
    try {
      const { error, ms } = await outcome(() => nobody.get('k'));
      expect(error).toBeInstanceOf(CacheError);
      expect((error as CacheError).code).toBe('CACHE_UNAVAILABLE');
      expect(ms < HANG).toBe(true);
    } finally {
      await nobody.close();
    }
  });
});
