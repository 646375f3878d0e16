import { describe, expect, it } from 'vitest';
import { createLockout } from './lockout.js';

const settings = { attempts: 3, addressAttempts: 5, windowMs: 60_000, durationMs: 300_000, maxTracked: 100 };

function clock(start = 1_000_000) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('createLockout', () => {
  it('locks a user after `attempts` failures within the window, for `duration`', () => {
    const time = clock();
    const lockout = createLockout(settings, time.now);
    lockout.fail('printer', '192.0.2.1');
    lockout.fail('PRINTER', '192.0.2.2');
    expect(lockout.check('printer', '192.0.2.3').locked).toBe(false);
    lockout.fail('printer', '192.0.2.4');
    expect(lockout.check('Printer', '192.0.2.9')).toEqual({ locked: true, retryAfterMs: 300_000 });
    time.advance(299_999);
    expect(lockout.check('printer', '192.0.2.9').locked).toBe(true);
    time.advance(1);
    expect(lockout.check('printer', '192.0.2.9').locked).toBe(false);
  });

  it('forgets failures older than the window', () => {
    const time = clock();
    const lockout = createLockout(settings, time.now);
    lockout.fail('printer', 'a');
    lockout.fail('printer', 'b');
    time.advance(60_000);
    lockout.fail('printer', 'c');
    expect(lockout.check('printer', 'd').locked).toBe(false);
  });

  it('locks a client address after `addressAttempts` failures under any names', () => {
    const lockout = createLockout(settings, clock().now);
    for (let n = 0; n < 5; n++) lockout.fail(`user${n}`, '198.51.100.7');
    expect(lockout.check('someone-else', '198.51.100.7').locked).toBe(true);
    expect(lockout.check('someone-else', '198.51.100.8').locked).toBe(false);
  });

  it('a good login clears the user, not the address', () => {
    const lockout = createLockout({ ...settings, addressAttempts: 3 }, clock().now);
    lockout.fail('printer', 'x');
    lockout.fail('printer', 'x');
    lockout.succeed('printer');
    lockout.fail('printer', 'x');
    expect(lockout.check('printer', 'y').locked).toBe(false);
    expect(lockout.check('other', 'x').locked).toBe(true);
  });

  it('keeps at most maxTracked names and addresses however many are sprayed', () => {
    const lockout = createLockout({ ...settings, maxTracked: 50 }, clock().now);
    for (let n = 0; n < 10_000; n++) lockout.fail(`spray-${n}`, `10.0.${n >> 8}.${n & 255}`);
    expect(lockout.size()).toEqual({ users: 50, addresses: 50 });
  });
});
