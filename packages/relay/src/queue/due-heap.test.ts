import { describe, expect, it } from 'vitest';
import { DueSchedule } from './due-heap.js';

describe('DueSchedule', () => {
  it('hands out due ids earliest first, then oldest id first, and skips rescheduled or deleted ones', () => {
    const due = new DueSchedule<{ tag: string }>();
    due.set('b', { at: 0, tag: '' });
    due.set('a', { at: 0, tag: '' });
    due.set('c', { at: 50, tag: '' });
    due.set('d', { at: 5, tag: '' });
    due.set('d', { at: 500, tag: '' }); // rescheduled later: its old entry must not surface
    due.set('e', { at: 1, tag: '' });
    due.delete('e');
    expect([due.takeDue(10), due.takeDue(10), due.takeDue(10)]).toEqual(['a', 'b', undefined]);
    expect(due.nextAt()).toBe(50);
    expect(due.takeDue(100)).toBe('c');
    expect(due.takeDue(100)).toBeUndefined();
    expect(due.takeDue(1_000)).toBe('d');
    expect(due.size).toBe(0);
  });

  it('stays ordered over many random reschedules', () => {
    const due = new DueSchedule<object>();
    let seed = 7;
    const rand = () => {
      seed = (seed * 1_103_515_245 + 12_345) >>> 0;
      return seed;
    };
    const truth = new Map<string, number>();
    for (let i = 0; i < 5_000; i++) {
      const id = `m${(rand() % 500).toString().padStart(3, '0')}`;
      const at = rand() % 10_000;
      due.set(id, { at });
      truth.set(id, at);
    }
    const expected = [...truth].sort((x, y) => x[1] - y[1] || (x[0] < y[0] ? -1 : 1)).map(([id]) => id);
    const taken: string[] = [];
    for (let id = due.takeDue(Infinity); id !== undefined; id = due.takeDue(Infinity)) taken.push(id);
    expect(taken).toEqual(expected);
  });
});
