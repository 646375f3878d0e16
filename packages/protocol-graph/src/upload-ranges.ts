/**
 * The byte ranges of an upload session: each starts where Graph's `nextExpectedRanges` says (or
 * right after the last one when it says nothing readable), none longer than the chunk size, and
 * a server that stops advancing ends the upload instead of looping.
 */
import { ConnectionError } from '@kalisto/core';

export interface ByteRange {
  /** First byte, 0-based. */
  start: number;
  /** Last byte, inclusive (as in `Content-Range: bytes start-end/size`). */
  end: number;
}

/** The start of the first of Graph's `nextExpectedRanges` (`"0-"`, `"2097152"`, `"1998457-2097094"`). */
export function expectedStart(ranges: readonly string[]): number | undefined {
  const start = Number(/^\s*(\d+)/.exec(ranges[0] ?? '')?.[1]);
  return Number.isSafeInteger(start) ? start : undefined;
}

/**
 * Yields the ranges to PUT for `size` bytes. `expected()` is read before each range: `[]` means
 * Graph has everything (the upload is done), undefined means "go on after the last range".
 */
export function* uploadRanges(
  size: number,
  chunkBytes: number,
  expected: () => readonly string[] | undefined,
): Generator<ByteRange> {
  const maxSteps = 2 * Math.ceil(size / chunkBytes) + 2;
  let next = 0;
  for (let step = 0; ; step++) {
    const ranges = expected();
    if (ranges !== undefined && ranges.length === 0) return;
    next = (ranges === undefined ? undefined : expectedStart(ranges)) ?? next;
    if (next >= size) return;
    if (step >= maxSteps) {
      throw new ConnectionError(
        `[protocol:graph] The attachment upload did not advance (Graph still expects byte ${next} of ${size}).`,
        {
          code: 'GRAPH_UPLOAD_STALLED',
          hint: 'Send the message again; if it keeps failing, send it over SMTP.',
          protocol: 'graph',
          transient: true,
        },
      );
    }
    const end = Math.min(size, next + chunkBytes) - 1;
    yield { start: next, end };
    next = end + 1;
  }
}
