import { describe, expect, it } from 'vitest';
import { InProcessLocks } from './in-process-locks.js';

describe('InProcessLocks', () => {
  it('frees a lock when its holder’s time runs out, on the given clock', () => {
    const locks = new InProcessLocks();
    expect(locks.acquire('k', 1_000, 0)).toBeDefined();
    expect(locks.acquire('k', 1_000, 999)).toBeUndefined();
    expect(locks.acquire('k', 1_000, 1_000)).toBeDefined();
  });

  it('lets only the current holder release', async () => {
    const locks = new InProcessLocks();
    const expired = locks.acquire('k', 10, 0);
    const current = locks.acquire('k', 1_000, 20);
    await expired?.release();
    expect(locks.acquire('k', 1_000, 30)).toBeUndefined();
    await current?.release();
    expect(locks.acquire('k', 1_000, 30)).toBeDefined();
  });
});
