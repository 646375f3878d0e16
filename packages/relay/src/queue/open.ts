import { ConfigError } from '@kalisto/core';
import type { DeliveryQueueOptions } from './options.js';
import { openSpoolQueue } from './spool-queue.js';
import type { DeliveryQueue } from './types.js';

/**
 * Opens the queue `options.kind` names. The redis backend (BullMQ, ioredis) is loaded only when
 * asked for, so a spool-only relay never needs either installed.
 */
export async function openDeliveryQueue(options: DeliveryQueueOptions): Promise<DeliveryQueue> {
  if (options?.kind === 'spool') return openSpoolQueue(options);
  if (options?.kind === 'redis') {
    const { openRedisQueue } = await import('./redis-queue.js');
    return openRedisQueue(options);
  }
  throw new ConfigError([
    {
      property: 'kalisto.relay.queue',
      value: String((options as { kind?: unknown })?.kind),
      expected: 'spool or redis',
    },
  ]);
}
