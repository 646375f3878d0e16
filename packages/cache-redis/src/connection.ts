import { ConfigError } from '@kalisto/core';
import {
  Cluster,
  type ClusterNode,
  type ClusterOptions,
  Redis,
  type RedisOptions,
  type SentinelAddress,
} from 'ioredis';

/** A client the backend talks to: standalone/Sentinel (`Redis`) or `Cluster`. */
export type RedisClient = Redis | Cluster;

/**
 * Where Redis is: exactly one of `url`, `client`, `cluster` or `sentinels`. A client you pass is yours:
 * the backend never closes it.
 */
export type RedisConnection =
  /** Standalone Redis by URL (`redis://user:pass@host:6379/0`, `rediss://` for TLS); we create and close the client. */
  | { url: string; redisOptions?: RedisOptions; client?: never; cluster?: never; sentinels?: never }
  /** Your own ioredis client (standalone, Sentinel or Cluster); never closed by us. */
  | { client: RedisClient; url?: never; cluster?: never; sentinels?: never }
  /** Redis Cluster: seed nodes (we create and close the client) or your own `Cluster` (never closed by us). */
  | {
      cluster: ClusterNode[] | Cluster;
      clusterOptions?: ClusterOptions;
      url?: never;
      client?: never;
      sentinels?: never;
    }
  /** Redis Sentinel: the sentinels and the name of the master group they watch; we create and close the client. */
  | {
      sentinels: Array<Partial<SentinelAddress>>;
      masterName: string;
      redisOptions?: RedisOptions;
      url?: never;
      client?: never;
      cluster?: never;
    };

const WHERE = ['url', 'client', 'cluster', 'sentinels'] as const;

/** The client, whether we own it, and where it points (for messages: never a password). */
export interface OpenedConnection {
  client: RedisClient;
  owned: boolean;
  where: string;
}

/** Timeouts and retry bounds that make a client we create fail fast instead of queueing. */
export interface FailFastSettings {
  commandTimeoutMs: number;
  connectTimeoutMs: number;
}

/** Reconnect forever (Redis may come back), but never wait more than a second between attempts. */
export const reconnectDelay = (attempt: number): number =>
  Math.min(100 * 2 ** Math.min(attempt - 1, 4), 1_000);

function failFast(settings: FailFastSettings): RedisOptions {
  return {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: settings.commandTimeoutMs,
    connectTimeout: settings.connectTimeoutMs,
    retryStrategy: reconnectDelay,
  };
}

function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '6379'}`;
  } catch {
    return 'the configured URL';
  }
}

/** Throws a ConfigError unless `connection` says where Redis is in exactly one way. */
function checkConnection(connection: Partial<Record<(typeof WHERE)[number] | 'masterName', unknown>>): void {
  const given = WHERE.filter((option) => connection[option] !== undefined);
  if (given.length !== 1) {
    throw new ConfigError([
      {
        property: 'redisCache',
        ...(given.length === 0 ? {} : { value: given.join(' and ') }),
        expected: 'exactly one of url, client, cluster or sentinels (with masterName): where Redis is',
      },
    ]);
  }
  if (
    given[0] === 'sentinels' &&
    (typeof connection.masterName !== 'string' || connection.masterName === '')
  ) {
    throw new ConfigError([
      { property: 'redisCache.masterName', expected: 'the name of the master group the sentinels watch' },
    ]);
  }
}

/** Opens (or adopts) the client described by `connection`. */
export function openConnection(connection: RedisConnection, settings: FailFastSettings): OpenedConnection {
  checkConnection(connection);
  if (connection.client !== undefined) {
    return { client: connection.client, owned: false, where: 'the given client' };
  }
  if (connection.url !== undefined) {
    const client = new Redis(connection.url, { ...failFast(settings), ...connection.redisOptions });
    return { client, owned: true, where: describeUrl(connection.url) };
  }
  if (connection.cluster !== undefined) {
    if (!Array.isArray(connection.cluster)) {
      return { client: connection.cluster as Cluster, owned: false, where: 'the given cluster' };
    }
    const { redisOptions, ...clusterOptions } = connection.clusterOptions ?? {};
    const client = new Cluster(connection.cluster, {
      enableOfflineQueue: false,
      maxRedirections: 4,
      clusterRetryStrategy: reconnectDelay,
      ...clusterOptions,
      redisOptions: { ...failFast(settings), ...redisOptions },
    });
    return { client, owned: true, where: `cluster of ${connection.cluster.length} seed nodes` };
  }
  const client = new Redis({
    ...failFast(settings),
    sentinels: connection.sentinels,
    name: connection.masterName,
    sentinelRetryStrategy: reconnectDelay,
    ...connection.redisOptions,
  });
  return { client, owned: true, where: `sentinel master "${connection.masterName}"` };
}
