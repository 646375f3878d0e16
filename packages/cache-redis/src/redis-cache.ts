import { randomBytes } from 'node:crypto';
import { type CacheBackend, type CacheLock, ConfigError, type Logger } from '@kalisto/core';
import {
  type CacheEncryptionKey,
  createValueSealer,
  defineCacheBackend,
  toCacheJson,
} from '@kalisto/core/plugin';
import { Redis } from 'ioredis';
import { openConnection, type RedisClient, type RedisConnection } from './connection.js';
import { RedisDeadlineError, type RedisOperation, toCacheError } from './redis-errors.js';

/** How the backend uses Redis, beside where Redis is (see {@link RedisConnection}). */
export interface RedisCacheSettings {
  /** Prepended to every key we write, so several applications can share one Redis. Default `kalisto:`. */
  keyPrefix?: string;
  /**
   * Wrap each key in a hash tag (`{key}`) so that a token's entry and its lock land in the same
   * Redis Cluster slot. Default `false`.
   */
  hashtags?: boolean;
  /**
   * AES-256-GCM key for values at rest (32 bytes: hex, base64, bytes or a `Secret`); an array rotates
   * keys (the first seals, all open). Default: `KALISTO_CACHE_KEY` from the environment, else none:
   * values are then stored in clear (`encrypted: false`, which `createKalisto` warns about).
   */
  encryptionKey?: CacheEncryptionKey | readonly CacheEncryptionKey[];
  /** Longest wait for any one Redis call, including waiting for a lost connection to come back. Default 1,000 ms. */
  commandTimeoutMs?: number;
  /** Longest wait for the first connection (and each reconnect's socket). Default 3,000 ms. */
  connectTimeoutMs?: number;
  /** The backend's name in errors and registries. Default `redis`. */
  name?: string;
  /** Receives warnings (pino's shape): connection lost/restored, unreadable values. Silent by default. */
  logger?: Logger;
}

/** Options of {@link redisCache}: where Redis is (exactly one of `url`, `client`, `cluster`, `sentinels`) and how to use it. */
export type RedisCacheOptions = RedisConnection & RedisCacheSettings;

/** A Redis cache backend: always has a distributed lock and a `close()`. */
export interface RedisCache extends CacheBackend {
  /**
   * Whether values are sealed (AES-256-GCM) before they reach Redis: `false` without an
   * `encryptionKey` (or `KALISTO_CACHE_KEY`), when tokens are readable by anyone who can read Redis.
   */
  readonly encrypted: boolean;
  acquireLock(key: string, ttlMs: number): Promise<CacheLock | undefined>;
  /** Ends the connection the backend opened (never one you passed); later calls fail with `CACHE_CLOSED`. */
  close(): Promise<void>;
}

const RELEASE_IF_OWNER = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/**
 * A token cache shared by every process that uses the same Redis: one token per cluster, not per node.
 * Values are JSON (sealed with AES-256-GCM when a key is given) with a PX expiry; a hit is one GET.
 * Every failure is a CacheError within `commandTimeoutMs`; after an outage the same backend works again.
 */
export function redisCache(options: RedisCacheOptions, ...extra: never[]): RedisCache {
  if (extra.length > 0) {
    // The former redisCache(connection, options): its second argument (an encryption key!) would be lost.
    throw new ConfigError([
      {
        property: 'redisCache',
        expected:
          'one options object, e.g. redisCache({ url, keyPrefix, encryptionKey }): where Redis is and the settings together',
      },
    ]);
  }
  const name = options.name ?? 'redis';
  const prefix = options.keyPrefix ?? 'kalisto:';
  const commandTimeoutMs = options.commandTimeoutMs ?? 1_000;
  const connectTimeoutMs = options.connectTimeoutMs ?? 3_000;
  const sealer = createValueSealer({ key: options.encryptionKey, property: 'redisCache.encryptionKey' });
  const { client, owned, where } = openConnection(options, { commandTimeoutMs, connectTimeoutMs });
  const context = { backend: name, where, commandTimeoutMs };
  const logger = options.logger;
  const clientBoundsCommands = owned && boundsEachCommand(client, commandTimeoutMs);

  let everReady = client.status === 'ready';
  /** Why the connection we own is down: a better reason than "not ready" (e.g. WRONGPASS). */
  let connectionError: Error | undefined;
  let readiness: Promise<void> | undefined;
  if (owned) watch(client);

  function watch(own: RedisClient): void {
    let warned = false;
    // Without an 'error' listener ioredis reports every failed reconnect on stderr.
    own.on('error', (error: Error) => {
      connectionError = error;
      if (warned) return;
      warned = true;
      logger?.warn(
        { backend: name, where, reason: toCacheError(error, 'GET', context).code },
        'Redis connection lost',
      );
    });
    own.on('ready', () => {
      everReady = true;
      connectionError = undefined;
      if (warned) logger?.info({ backend: name, where }, 'Redis connection restored');
      warned = false;
    });
  }

  const dataKey = options.hashtags
    ? (key: string) => `${prefix}{${key}}`
    : (key: string) => `${prefix}${key}`;
  const lockKey = options.hashtags
    ? (key: string) => `${prefix}lock:{${key}}`
    : (key: string) => `${prefix}lock:${key}`;

  /** One 'ready' listener however many calls wait (a listener per call would trip Node's leak warning). */
  function nextReady(): Promise<void> {
    readiness ??= new Promise((resolve) => {
      client.once('ready', () => {
        readiness = undefined;
        resolve();
      });
    });
    return readiness;
  }

  /**
   * Runs one Redis call within one deadline, waiting for a lost connection included (a client you
   * pass may queue commands forever). A call that timed out while waiting is never sent later.
   */
  function call<T>(operation: RedisOperation, command: () => Promise<T>): Promise<T> {
    // The hot path: our ready client's own commandTimeout is the deadline, so no second timer per call.
    if (clientBoundsCommands && client.status === 'ready') {
      return command().catch((error: unknown) => {
        throw toCacheError(error, operation, context);
      });
    }
    return callWithinDeadline(operation, command);
  }

  async function callWithinDeadline<T>(operation: RedisOperation, command: () => Promise<T>): Promise<T> {
    // A client you pass is not watched: seeing it ready here is how we learn it has connected once.
    if (client.status === 'ready') everReady = true;
    const budgetMs = everReady ? commandTimeoutMs : Math.max(commandTimeoutMs, connectTimeoutMs);
    let expired = false;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        expired = true;
        const waiting = client.status !== 'ready';
        reject(
          waiting
            ? (connectionError ?? new Error(`Redis is not ready (${client.status})`))
            : new RedisDeadlineError('Command timed out'),
        );
      }, budgetMs);
    });
    const run = async (): Promise<T> => {
      if (client.status !== 'ready') {
        if (client.status === 'end') throw new Error('Connection is closed.');
        await nextReady();
        if (expired) throw new RedisDeadlineError('Command timed out');
      }
      return command();
    };
    try {
      return await Promise.race([run(), deadline]);
    } catch (error) {
      throw toCacheError(error, operation, context);
    } finally {
      clearTimeout(timer);
    }
  }

  function decode<T>(raw: string | Buffer | null, storageKey: string): T | undefined {
    if (raw === null) return undefined;
    const json = sealer === undefined ? (raw as string) : sealer.open(storageKey, raw as Buffer);
    if (json !== undefined) {
      try {
        return JSON.parse(json) as T;
      } catch {
        // Falls through to the warning below.
      }
    }
    logger?.warn(
      { backend: name, encrypted: sealer !== undefined },
      'Ignoring a cached value that cannot be read (written with another key, by another program, or tampered with)',
    );
    return undefined;
  }

  // defineCacheBackend checks each TTL (these get whole, positive ms), refuses calls after close()
  // and makes close() and a lock's release() run once.
  return defineCacheBackend({
    name,
    encrypted: sealer !== undefined,
    async get<T>(key: string): Promise<T | undefined> {
      const storageKey = dataKey(key);
      const raw = await call<string | Buffer | null>('GET', () =>
        sealer === undefined ? client.get(storageKey) : client.getBuffer(storageKey),
      );
      return decode<T>(raw, storageKey);
    },
    async set(key: string, value: unknown, ttl: number): Promise<void> {
      const storageKey = dataKey(key);
      const json = toCacheJson(name, value);
      if (json === undefined) {
        await call('DEL', () => client.del(storageKey));
        return;
      }
      const payload = sealer === undefined ? json : sealer.seal(storageKey, json);
      await call('SET', () => client.set(storageKey, payload, 'PX', ttl));
    },
    async delete(key: string): Promise<void> {
      await call('DEL', () => client.del(dataKey(key)));
    },
    async acquireLock(key: string, ttl: number): Promise<CacheLock | undefined> {
      const storageKey = lockKey(key);
      const owner = randomBytes(16).toString('hex');
      const taken = await call('lock', () => client.set(storageKey, owner, 'PX', ttl, 'NX'));
      if (taken !== 'OK') return undefined;
      return {
        // Deletes only our own lock: after expiry the key may belong to the next holder.
        release: async () => {
          await call('lock release', () => client.eval(RELEASE_IF_OWNER, 1, storageKey, owner));
        },
      };
    },
    close: (): Promise<void> => (owned ? quit(client, commandTimeoutMs) : Promise.resolve()),
  });
}

/**
 * Whether ioredis itself fails every command sent on a ready connection within `commandTimeoutMs`:
 * true for a standalone or Sentinel client we made (unless `redisOptions` lifted its
 * `commandTimeout`). A Cluster is not: its per-node timer starts only once a node is picked, after
 * any slot refresh or failover delay.
 */
function boundsEachCommand(client: RedisClient, commandTimeoutMs: number): boolean {
  if (!(client instanceof Redis)) return false;
  const ownTimeout = client.options.commandTimeout;
  return typeof ownTimeout === 'number' && ownTimeout > 0 && ownTimeout <= commandTimeoutMs;
}

/** Quits politely, and cuts the connection if Redis does not answer in time. */
async function quit(client: RedisClient, timeoutMs: number): Promise<void> {
  if (client.status === 'end') return;
  if (client.status !== 'ready') {
    client.disconnect();
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.quit(),
      new Promise((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
  } catch {
    // Already gone: nothing left to close.
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}
