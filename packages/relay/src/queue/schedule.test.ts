import { describe, expect, it } from 'vitest';
import { QUEUE_ID } from './errors.js';
import { QUEUE_DEFAULTS, resolveTuning } from './options.js';
import { backoffDelay, failureRecord, newQueueId, settle } from './schedule.js';
import { DeliveryFailure } from './types.js';

const tuning = resolveTuning(
  { backoffBaseMs: 1_000, backoffMaxMs: 60_000, maxAttempts: 5, maxAgeMs: 100_000 },
  'test',
);

describe('backoffDelay', () => {
  it('doubles per attempt, caps at the maximum, and jitters within 50–100 %', () => {
    const low = () => 0;
    const high = () => 1;
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, tuning, high))).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, tuning, low))).toEqual([500, 1_000, 2_000, 4_000]);
    expect(backoffDelay(30, tuning, high)).toBe(60_000);
    expect(backoffDelay(1_000, tuning, low)).toBe(30_000);
  });

  it("never waits less than upstream asked (Exchange's 432: 15 s)", () => {
    expect(backoffDelay(1, tuning, () => 0, 15_000)).toBe(15_000);
    expect(backoffDelay(8, tuning, () => 1, 15_000)).toBe(60_000);
  });

  it('has defaults that retry for hours, not days or seconds', () => {
    const defaults = resolveTuning({}, 'test');
    let total = 0;
    for (let n = 1; n < QUEUE_DEFAULTS.maxAttempts; n++) total += backoffDelay(n, defaults, () => 1);
    expect(total / 3_600_000).toBeGreaterThan(5);
    expect(total / 3_600_000).toBeLessThan(10);
  });
});

describe('settle', () => {
  const item = { attempts: 0, enqueuedAt: 1_000 };
  const transient = new DeliveryFailure({ transient: true, code: 451, reply: '451 4.4.1 try later' });

  it('retries a transient failure after the backoff', () => {
    expect(settle(item, transient, tuning, 2_000, () => 1)).toEqual({
      action: 'retry',
      failure: { transient: true, code: 451, reply: '451 4.4.1 try later', at: 2_000 },
      nextAttemptAt: 3_000,
    });
  });

  it('dead-letters a permanent failure at once, and a transient one out of attempts or age', () => {
    const permanent = new DeliveryFailure({ transient: false, code: 550, reply: '550 5.7.60 no' });
    expect(settle(item, permanent, tuning, 2_000)).toMatchObject({
      action: 'dead',
      failure: { deadReason: 'permanent' },
    });
    expect(settle({ ...item, attempts: 3 }, transient, tuning, 2_000)).toMatchObject({ action: 'retry' });
    expect(settle({ ...item, attempts: 4 }, transient, tuning, 2_000)).toMatchObject({
      action: 'dead',
      failure: { deadReason: 'attempts' },
    });
    expect(settle(item, transient, tuning, 101_000)).toMatchObject({
      action: 'dead',
      failure: { deadReason: 'expired' },
    });
  });

  it('counts anything but a DeliveryFailure as transient, its text on one line', () => {
    expect(failureRecord(new Error('socket\r\nclosed'), 5)).toEqual({
      reply: 'relay: socket closed',
      transient: true,
      at: 5,
    });
  });
});

describe('newQueueId', () => {
  it('sorts by time and matches the id pattern retry/drop accept', () => {
    const a = newQueueId(1_700_000_000_000);
    const b = newQueueId(1_700_000_000_001);
    expect(a < b).toBe(true);
    expect(a).toMatch(QUEUE_ID);
    expect('../../etc/passwd').not.toMatch(QUEUE_ID);
  });
});
