import { describe, expect, it } from 'vitest';
import { formatSequenceSet, inRanges, parseSequenceSet } from './sequence-set.js';

describe('sequence sets', () => {
  it('parses ranges, single numbers and * (either order)', () => {
    expect(parseSequenceSet('1:3,7,9:*', 12)).toEqual([
      [1, 3],
      [7, 7],
      [9, 12],
    ]);
    expect(parseSequenceSet('*:4', 2)).toEqual([[2, 4]]);
    expect(inRanges(parseSequenceSet('2,5:6', 9)!, 5)).toBe(true);
    expect(inRanges(parseSequenceSet('2,5:6', 9)!, 4)).toBe(false);
  });

  it('rejects anything else, and 0', () => {
    for (const text of ['', '1:', 'a', '1,,2', '0', '1:0', '1 2'])
      expect(parseSequenceSet(text, 5)).toBeUndefined();
  });

  it('formats ascending numbers compactly', () => {
    expect(formatSequenceSet([1, 2, 3, 5, 7, 8])).toBe('1:3,5,7:8');
    expect(formatSequenceSet([4])).toBe('4');
    expect(formatSequenceSet([])).toBe('');
  });
});
