/**
 * The relay's optional durable delivery queue: `spool` (a directory) or `redis` (BullMQ), one
 * interface ({@link DeliveryQueue}). What "nothing lost" and "at most one duplicate" mean exactly,
 * the properties and the Redis settings it needs: ./README.md (the section for docs/relay.md).
 */
export { QUEUE_ID, QueueError, type QueueErrorCode } from './errors.js';
export { openDeliveryQueue } from './open.js';
export {
  type DeliveryQueueOptions,
  QUEUE_DEFAULTS,
  QUEUE_PROPERTIES,
  type QueuePropertyDefinition,
  type QueueTuning,
  queueOptionsFromProperties,
  type RedisQueueOptions,
  type SpoolQueueOptions,
} from './options.js';
export { backoffDelay } from './schedule.js';
export { openSpoolQueue } from './spool-queue.js';
export {
  type Deliver,
  type DeliveryContext,
  DeliveryFailure,
  type DeliveryQueue,
  type DeliveryReceipt,
  type EnqueueRequest,
  type FailureRecord,
  type QueuedItem,
  type QueuedMessage,
  type QueueEnvelope,
  type QueueMessageInfo,
  type QueueObserver,
  type QueueStats,
} from './types.js';
