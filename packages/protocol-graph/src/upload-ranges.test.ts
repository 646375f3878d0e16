import { describe, expect, it } from 'vitest';
import { expectedStart, uploadRanges } from './upload-ranges.js';

describe('uploadRanges', () => {
  it('covers the file in chunks, the last one shorter', () => {
    let reads = 0;
    // Graph's first answer (the session) names byte 0; later ones are unreadable: go on in order.
    const ranges = [...uploadRanges(25, 10, () => (reads++ === 0 ? ['0-'] : undefined))];
    expect(ranges).toEqual([
      { start: 0, end: 9 },
      { start: 10, end: 19 },
      { start: 20, end: 24 },
    ]);
  });

  it("starts each range where Graph's nextExpectedRanges says, and stops when it expects nothing", () => {
    const answers: (string[] | undefined)[] = [['0-'], ['4'], ['4-9'], []];
    const ranges = [...uploadRanges(30, 10, () => answers.shift())];
    expect(ranges).toEqual([
      { start: 0, end: 9 },
      { start: 4, end: 13 },
      { start: 4, end: 13 },
    ]);
  });

  it('gives up when the server never advances', () => {
    const run = () => [...uploadRanges(20, 10, () => ['0-'])];
    expect(run).toThrow(expect.objectContaining({ code: 'GRAPH_UPLOAD_STALLED' }));
  });

  it('reads the start of a range', () => {
    expect(expectedStart(['2097152'])).toBe(2_097_152);
    expect(expectedStart(['1998457-2097094'])).toBe(1_998_457);
    expect(expectedStart(['x'])).toBeUndefined();
    expect(expectedStart([])).toBeUndefined();
  });
});
