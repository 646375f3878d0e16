/** IMAP sequence sets (`1:4,7,9:*`) for message sequence numbers and UIDs. */

/** An inclusive range of sequence numbers or UIDs. */
export type Range = readonly [low: number, high: number];

/**
 * Parses a sequence set; `*` stands for `max` (the last sequence number or the highest UID).
 * Returns undefined when the text is not a sequence set.
 */
export function parseSequenceSet(text: string, max: number): Range[] | undefined {
  if (!/^(\d+|\*)(:(\d+|\*))?(,(\d+|\*)(:(\d+|\*))?)*$/.test(text)) return undefined;
  const value = (v: string): number => (v === '*' ? max : Number(v));
  const ranges: Range[] = [];
  for (const item of text.split(',')) {
    const [a = '', b] = item.split(':');
    const low = value(a);
    const high = b === undefined ? low : value(b);
    if (low === 0 || high === 0) return undefined;
    ranges.push(low <= high ? [low, high] : [high, low]);
  }
  return ranges;
}

/** True when `n` lies in one of the ranges. */
export function inRanges(ranges: readonly Range[], n: number): boolean {
  return ranges.some(([low, high]) => n >= low && n <= high);
}

/** Compact set text (`1:3,7`) for ascending numbers, as COPYUID/APPENDUID carry. */
export function formatSequenceSet(numbers: readonly number[]): string {
  const parts: string[] = [];
  let start = numbers[0];
  let previous = start;
  for (let i = 1; i <= numbers.length; i++) {
    const n = numbers[i];
    if (n !== undefined && previous !== undefined && n === previous + 1) {
      previous = n;
      continue;
    }
    if (start !== undefined) parts.push(start === previous ? String(start) : `${start}:${previous}`);
    start = n;
    previous = n;
  }
  return parts.join(',');
}
