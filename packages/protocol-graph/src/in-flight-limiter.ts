/**
 * At most `max` requests in flight per Graph client (Exchange answers 429 beyond its per-mailbox
 * concurrency). Further requests wait in FIFO order; a slot that is released goes straight to the
 * oldest waiter, so a newcomer never overtakes the queue. A wait ends with the caller's signal or
 * at its deadline.
 */

interface Waiter {
  grant: () => void;
  fail: (reason: unknown) => void;
}

/** A counting semaphore with a FIFO queue and bounded waits. */
export class InFlightLimiter {
  readonly max: number;
  #active = 0;
  readonly #queue: Waiter[] = [];

  constructor(max: number) {
    this.max = max;
  }

  /** Requests holding a slot now. */
  get active(): number {
    return this.#active;
  }

  /** Takes a slot at once when one is free and nobody waits. */
  tryAcquire(): boolean {
    if (this.#active >= this.max || this.#queue.length > 0) return false;
    this.#active++;
    return true;
  }

  /**
   * Waits for a slot, FIFO. Rejects with the signal's reason when it aborts, or with `timedOut()`
   * after `timeoutMs`; the waiter then leaves the queue.
   */
  acquire(timeoutMs: number, timedOut: () => Error, signal?: AbortSignal): Promise<void> {
    if (this.tryAcquire()) return Promise.resolve();
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const leave = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const index = this.#queue.indexOf(waiter);
        if (index >= 0) this.#queue.splice(index, 1);
      };
      const onAbort = () => {
        leave();
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        grant: () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        fail: (reason) => {
          leave();
          reject(reason);
        },
      };
      const timer = setTimeout(() => waiter.fail(timedOut()), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(waiter);
    });
  }

  /** Gives a slot back: to the oldest waiter if there is one. */
  release(): void {
    const next = this.#queue.shift();
    if (next === undefined) this.#active--;
    else next.grant();
  }

  /** Rejects every waiter with `reason` (the client is closing). */
  rejectWaiting(reason: unknown): void {
    for (const waiter of this.#queue.splice(0)) waiter.fail(reason);
  }
}
