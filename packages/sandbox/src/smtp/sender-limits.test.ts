import { describe, expect, it } from 'vitest';
import { SenderLimits } from './sender-limits.js';

describe('SenderLimits', () => {
  it('grants a bounded number of sessions per mailbox and frees them on release', () => {
    const limits = new SenderLimits(2, undefined, () => 0);
    expect(limits.acquireSession('a')).toBe(true);
    expect(limits.acquireSession('a')).toBe(true);
    expect(limits.acquireSession('a')).toBe(false);
    expect(limits.acquireSession('b')).toBe(true);
    limits.releaseSession('a');
    expect(limits.activeSessions('a')).toBe(1);
    expect(limits.acquireSession('a')).toBe(true);
  });

  it('counts submissions in a sliding window', () => {
    let now = 0;
    const limits = new SenderLimits(3, { messages: 2, windowMs: 60_000 }, () => now);
    expect([limits.trySubmit('a'), limits.trySubmit('a'), limits.trySubmit('a')]).toEqual([
      true,
      true,
      false,
    ]);
    expect(limits.trySubmit('b')).toBe(true);
    now = 59_999;
    expect(limits.trySubmit('a')).toBe(false);
    now = 60_000;
    expect(limits.trySubmit('a')).toBe(true);
    expect(limits.trySubmit('a')).toBe(true);
    expect(limits.trySubmit('a')).toBe(false);
  });

  it('has no quota unless configured', () => {
    const limits = new SenderLimits(1, undefined, () => 0);
    for (let i = 0; i < 100; i++) expect(limits.trySubmit('a')).toBe(true);
  });
});
