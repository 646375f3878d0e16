/**
 * The queue's options: one typed object per backend, the defaults as a table, and the reading of the
 * `kalisto.relay.queue.*` properties onto them (one ConfigError naming every bad property).
 */
import { ConfigError, type ConfigIssue, type Logger } from '@kalisto/core';
import { resolveReference } from '@kalisto/core/plugin';
import type { Redis } from 'ioredis';
import type { QueueObserver } from './types.js';

/** Settings both backends share. Every duration is in ms. */
export interface QueueTuning {
  /** Deliveries at once per relay process. Default 3: Exchange allows about 3 SMTP sessions per mailbox. */
  concurrency?: number;
  /** Attempts (the first included) before a message that keeps failing transiently is dead. Default 20. */
  maxAttempts?: number;
  /** Wait before the first retry; doubles per attempt (with jitter: 50–100 % of it). Default 30,000. */
  backoffBaseMs?: number;
  /** Longest wait between two attempts. Default 1,800,000 (30 min): 20 attempts span about 5–7 hours. */
  backoffMaxMs?: number;
  /** A message still failing this long after it was queued is dead at its next failure. Default 86,400,000 (24 h). */
  maxAgeMs?: number;
  /**
   * How long a worker's claim on a message lasts without renewal (renewed every quarter of it while
   * the delivery runs). Only a claim that expired — or whose process is gone — is taken over.
   * Default 60,000.
   */
  leaseMs?: number;
  /** Told of every delivered, retried and dead message. */
  observer?: QueueObserver;
  /** pino-shaped; silent by default. Never given message bodies or credentials. */
  logger?: Logger;
}

/** The embedded default: a directory on a local disk. Several relay processes on one host may share it. */
export interface SpoolQueueOptions extends QueueTuning {
  kind: 'spool';
  /** The spool directory (created if missing). Must be a local filesystem: claims rely on rename and pids. */
  path: string;
  /** How often the directory is scanned for messages other processes queued or left. Default 1,000. */
  pollIntervalMs?: number;
}

/** A queue in Redis (BullMQ) that several relay instances share. */
export interface RedisQueueOptions extends QueueTuning {
  kind: 'redis';
  /** `redis://[user:pass@]host:port[/db]` (or `rediss://`); exactly one of `url` and `client`. */
  url?: string;
  /** Your ioredis client (standalone or Sentinel); never closed by the queue (it uses duplicates of it). */
  client?: Redis;
  /** Key prefix: keys are `<prefix>:relay:*`. Default `kalisto`. With Redis Cluster use a hash tag: `{kalisto}`. */
  prefix?: string;
  /** Largest message body stored in Redis, in bytes. Default 36,700,160 (Exchange's 35 MB). */
  maxMessageBytes?: number;
}

export type DeliveryQueueOptions = SpoolQueueOptions | RedisQueueOptions;

/** The defaults, as data. */
export const QUEUE_DEFAULTS = {
  concurrency: 3,
  maxAttempts: 20,
  backoffBaseMs: 30_000,
  backoffMaxMs: 1_800_000,
  maxAgeMs: 86_400_000,
  leaseMs: 60_000,
  pollIntervalMs: 1_000,
  prefix: 'kalisto',
  maxMessageBytes: 36_700_160,
  closeTimeoutMs: 10_000,
} as const;

/** Tuning with every default filled in. */
export type ResolvedTuning = Required<Omit<QueueTuning, 'observer' | 'logger'>> &
  Pick<QueueTuning, 'observer' | 'logger'>;

const INT_LIMITS: Record<keyof Omit<ResolvedTuning, 'observer' | 'logger'>, readonly [number, number]> = {
  concurrency: [1, 1_000],
  maxAttempts: [1, 1_000],
  backoffBaseMs: [1, 2_147_483_647],
  backoffMaxMs: [1, 2_147_483_647],
  maxAgeMs: [1, 2 ** 40],
  leaseMs: [100, 2_147_483_647],
};

/** Fills in the defaults; throws a ConfigError naming each out-of-range option. */
export function resolveTuning(options: QueueTuning, owner: string): ResolvedTuning {
  const issues: ConfigIssue[] = [];
  const resolved = { ...options } as Record<string, unknown>;
  for (const [name, [min, max]] of Object.entries(INT_LIMITS)) {
    const value =
      (options as Record<string, unknown>)[name] ?? QUEUE_DEFAULTS[name as keyof typeof QUEUE_DEFAULTS];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      issues.push({
        property: `${owner}.${name}`,
        value: String(value),
        expected: `an integer ${min}–${max}`,
      });
    }
    resolved[name] = value;
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return resolved as ResolvedTuning;
}

/** One `kalisto.relay.queue.*` property (the shape of the relay's property table rows). */
export interface QueuePropertyDefinition {
  readonly name: string;
  readonly scope: 'relay';
  readonly kind: 'string' | 'int' | 'secret';
  readonly default?: string;
  readonly required?: boolean;
  readonly range?: readonly [min: number, max: number];
  readonly description: string;
}

const P = 'kalisto.relay.queue.';

/** The `kalisto.relay.queue.*` properties (the relay's property table includes them). */
export const QUEUE_PROPERTIES: readonly QueuePropertyDefinition[] = [
  {
    name: `${P}path`,
    scope: 'relay',
    kind: 'string',
    description:
      'spool: the spool directory (created if missing), on a local disk. Required with queue=spool.',
  },
  {
    name: `${P}redis.url`,
    scope: 'relay',
    kind: 'secret',
    description:
      'redis: redis://[user:pass@]host:port[/db] or rediss://; may be env:NAME or file:PATH. Required with queue=redis.',
  },
  {
    name: `${P}redis.prefix`,
    scope: 'relay',
    kind: 'string',
    default: QUEUE_DEFAULTS.prefix,
    description:
      'redis: key prefix (keys are <prefix>:relay:*); use a hash tag such as {kalisto} with Redis Cluster.',
  },
  {
    name: `${P}redis.maxMessageBytes`,
    scope: 'relay',
    kind: 'int',
    default: String(QUEUE_DEFAULTS.maxMessageBytes),
    range: [1, 536_870_912],
    description:
      'redis: largest message body kept in Redis; a larger one is refused with 552 when the SMTP listener accepts it (its SIZE may not exceed this).',
  },
  {
    name: `${P}concurrency`,
    scope: 'relay',
    kind: 'int',
    default: String(QUEUE_DEFAULTS.concurrency),
    range: INT_LIMITS.concurrency,
    description: 'Deliveries at once per relay process (Exchange allows about 3 SMTP sessions per mailbox).',
  },
  {
    name: `${P}maxAttempts`,
    scope: 'relay',
    kind: 'int',
    default: String(QUEUE_DEFAULTS.maxAttempts),
    range: INT_LIMITS.maxAttempts,
    description:
      'Attempts (the first included) before a message failing transiently (4xx) goes to the dead letters.',
  },
  {
    name: `${P}backoff.base`,
    scope: 'relay',
    kind: 'int',
    default: String(QUEUE_DEFAULTS.backoffBaseMs),
    range: INT_LIMITS.backoffBaseMs,
    description: 'ms before the first retry; doubles per attempt, with jitter (50–100 % of it).',
  },
  {
    name: `${P}backoff.max`,
    scope: 'relay',
    kind: 'int',
    default: String(QUEUE_DEFAULTS.backoffMaxMs),
    range: INT_LIMITS.backoffMaxMs,
    description: 'Longest ms between two attempts.',
  },
  {
    name: `${P}maxAge`,
    scope: 'relay',
    kind: 'int',
    default: String(QUEUE_DEFAULTS.maxAgeMs),
    range: INT_LIMITS.maxAgeMs,
    description: 'ms after queueing past which a message that fails again goes to the dead letters.',
  },
  {
    name: `${P}lease`,
    scope: 'relay',
    kind: 'int',
    default: String(QUEUE_DEFAULTS.leaseMs),
    range: INT_LIMITS.leaseMs,
    description:
      'ms a worker claim lasts unrenewed; a claim of a killed relay is taken over after it (spool: at once when its process is gone).',
  },
  {
    name: `${P}poll`,
    scope: 'relay',
    kind: 'int',
    default: String(QUEUE_DEFAULTS.pollIntervalMs),
    range: [10, 600_000],
    description: 'spool: ms between scans of the directory for messages other processes queued or left.',
  },
];

const INT_PROPERTY: Record<string, keyof SpoolQueueOptions | keyof RedisQueueOptions> = {
  concurrency: 'concurrency',
  maxAttempts: 'maxAttempts',
  'backoff.base': 'backoffBaseMs',
  'backoff.max': 'backoffMaxMs',
  maxAge: 'maxAgeMs',
  lease: 'leaseMs',
  poll: 'pollIntervalMs',
  'redis.maxMessageBytes': 'maxMessageBytes',
};
const SPOOL_ONLY = new Set(['path', 'poll']);
const REDIS_ONLY = new Set(['redis.url', 'redis.prefix', 'redis.maxMessageBytes']);

/**
 * Reads the `kalisto.relay.queue.*` properties (given without that prefix, as the relay config
 * collects them) into the options of `kind`. `redis.url` may be `env:NAME` or `file:PATH`.
 *
 * @throws ConfigError naming every bad, missing, unknown or misplaced property.
 */
export function queueOptionsFromProperties(
  kind: 'spool' | 'redis',
  properties: Readonly<Record<string, string>>,
  env: Readonly<Record<string, string | undefined>> = process.env,
): DeliveryQueueOptions {
  const issues: ConfigIssue[] = [];
  const secrets: string[] = [];
  const known = new Set(QUEUE_PROPERTIES.map((row) => row.name.slice(P.length)));
  const options: Record<string, unknown> = { kind };
  for (const [key, value] of Object.entries(properties)) {
    const property = `${P}${key}`;
    if (!known.has(key)) {
      issues.push({ property, expected: 'a known queue property (docs/relay.md lists them)' });
      continue;
    }
    if ((kind === 'spool' && REDIS_ONLY.has(key)) || (kind === 'redis' && SPOOL_ONLY.has(key))) {
      issues.push({ property, expected: `no ${key} with kalisto.relay.queue=${kind}` });
      continue;
    }
    const target = INT_PROPERTY[key];
    if (target !== undefined) {
      const row = QUEUE_PROPERTIES.find((r) => r.name === property);
      const [min, max] = row?.range ?? [1, Number.MAX_SAFE_INTEGER];
      const number = /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
      if (!Number.isSafeInteger(number) || number < min || number > max) {
        issues.push({ property, value, expected: `an integer ${min}–${max}` });
      } else options[target] = number;
    } else if (key === 'path') options.path = value;
    else if (key === 'redis.url') {
      const url = resolveReference(value.trim(), env);
      if ('problem' in url) issues.push({ property, value, expected: url.problem });
      else if (/^rediss?:\/\//i.test(url.value.trim())) options.url = url.value.trim();
      else issues.push({ property, value: url.value, expected: 'a redis:// or rediss:// URL' });
      if ('value' in url) secrets.push(url.value);
    } else if (key === 'redis.prefix') options.prefix = value;
  }
  if (kind === 'spool' && !options.path) {
    issues.push({
      property: `${P}path`,
      expected: 'the spool directory (required with kalisto.relay.queue=spool)',
    });
  }
  if (kind === 'redis' && !options.url && properties['redis.url'] === undefined) {
    issues.push({
      property: `${P}redis.url`,
      expected: 'where Redis is, redis://host:port (required with kalisto.relay.queue=redis)',
    });
  }
  if (issues.length > 0) {
    throw new ConfigError(issues, {
      secrets: [properties['redis.url'], ...secrets],
      hint: 'Fix the kalisto.relay.queue.* properties listed above (docs/relay.md has the table).',
    });
  }
  return options as unknown as DeliveryQueueOptions;
}
