import { describe, expect, it } from 'vitest';
import { InFlightLimiter } from './in-flight-limiter.js';

const never = 60_000;
const timedOut = () => Object.assign(new Error('waited too long'), { name: 'TimeoutError' });

describe('InFlightLimiter', () => {
  it('lets max requests in, queues the rest and hands released slots over in FIFO order', async () => {
    const limiter = new InFlightLimiter(2);
    expect(limiter.tryAcquire()).toBe(true);
    expect(limiter.tryAcquire()).toBe(true);
    expect(limiter.tryAcquire()).toBe(false);
    const order: number[] = [];
    const waits = [1, 2, 3].map((n) => limiter.acquire(never, timedOut).then(() => order.push(n)));
    limiter.release();
    await waits[0];
    // A newcomer does not overtake the queue while others wait.
    expect(limiter.tryAcquire()).toBe(false);
    limiter.release();
    limiter.release();
    await Promise.all(waits);
    expect(order).toEqual([1, 2, 3]);
    expect(limiter.active).toBe(2);
    limiter.release();
    limiter.release();
    expect(limiter.active).toBe(0);
  });

  it('a wait ends at its deadline or with the signal, and the waiter leaves the queue', async () => {
    const limiter = new InFlightLimiter(1);
    limiter.tryAcquire();
    await expect(limiter.acquire(1, timedOut)).rejects.toMatchObject({ name: 'TimeoutError' });
    const controller = new AbortController();
    const aborted = limiter.acquire(never, timedOut, controller.signal);
    controller.abort(new Error('caller gave up'));
    await expect(aborted).rejects.toThrow('caller gave up');
    const next = limiter.acquire(never, timedOut);
    limiter.release();
    await next;
    expect(limiter.active).toBe(1);
  });

  it('rejects every waiter when the client closes', async () => {
    const limiter = new InFlightLimiter(1);
    limiter.tryAcquire();
    const waits = [limiter.acquire(never, timedOut), limiter.acquire(never, timedOut)];
    limiter.rejectWaiting(new Error('closed'));
    for (const wait of waits) await expect(wait).rejects.toThrow('closed');
  });
});
