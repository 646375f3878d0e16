/** Pieces both backends share: checking what is enqueued, telling the observer, bounded waits. */
import type { Logger } from '@kalisto/core';
import { scrubbedError } from '@kalisto/core/plugin';
import { QueueError } from './errors.js';
import type { EnqueueRequest, QueueObserver } from './types.js';

/** Refuses a request the listener should never have built, naming the field. */
export function checkRequest(request: EnqueueRequest, backend: string): void {
  const problem =
    typeof request?.mailbox !== 'string' || request.mailbox === ''
      ? 'mailbox (the delivering mailbox)'
      : typeof request.envelope?.from !== 'string'
        ? 'envelope.from (a string, "" for the null sender)'
        : !Array.isArray(request.envelope.to) ||
            request.envelope.to.length === 0 ||
            request.envelope.to.some((to) => typeof to !== 'string' || to === '')
          ? 'envelope.to (at least one recipient address)'
          : !Buffer.isBuffer(request.raw)
            ? 'raw (the message as a Buffer)'
            : undefined;
  if (problem) {
    throw new TypeError(`[queue:${backend}] enqueue needs ${problem}`);
  }
}

/** Calls one observer hook; a throwing observer is logged, never allowed to disturb the queue. */
export function notify<K extends keyof QueueObserver>(
  observer: QueueObserver | undefined,
  logger: Logger,
  hook: K,
  ...args: Parameters<NonNullable<QueueObserver[K]>>
): void {
  const fn = observer?.[hook] as ((...a: unknown[]) => void) | undefined;
  if (!fn) return;
  try {
    fn.apply(observer, args);
  } catch (error) {
    logger.warn({ err: scrubbedError(error), hook }, 'Queue observer threw; ignored');
  }
}

/** Resolves when `work` settles or after `timeoutMs`, saying which. */
export async function settledWithin(work: Promise<unknown>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([
      work.then(
        () => true,
        () => true,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export function closedError(backend: string): QueueError {
  return new QueueError(`[queue:${backend}] the queue is closed`, {
    code: 'QUEUE_CLOSED',
    hint: 'The relay is stopping; the client should retry (it was answered 4xx).',
  });
}

export function startedError(backend: string): QueueError {
  return new QueueError(`[queue:${backend}] start() was already called`, { code: 'QUEUE_STARTED' });
}
