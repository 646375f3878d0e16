/** Edit distance with adjacent transpositions (optimal string alignment), case-insensitive. */
function distance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const rows: number[][] = Array.from({ length: s.length + 1 }, (_, i) =>
    Array.from({ length: t.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) {
        d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      }
      rows[i]![j] = d;
    }
  }
  return rows[s.length]![t.length]!;
}

/** Names that differ only in case or by at most this many edits are near misses. */
const MAX_EDITS = 2;

/** The letters of `text`, lower-case and sorted: equal for two names that differ by transpositions. */
const letters = (text: string): string => [...text.toLowerCase()].sort().join('');

/**
 * The candidate `name` most likely meant (a different case, or within two edits), if any.
 * Between equally close candidates, one with the same letters wins (`imasp` → `imaps`, not
 * `imap`), else the first. Exact matches are not suggestions.
 */
export function suggest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = MAX_EDITS + 1;
  let sorted: string | undefined;
  for (const candidate of candidates) {
    if (candidate === name || Math.abs(candidate.length - name.length) > MAX_EDITS) continue;
    const d = distance(name, candidate);
    if (d > bestDistance) continue;
    if (d === bestDistance) {
      sorted ??= letters(name);
      if (best === undefined || letters(best) === sorted || letters(candidate) !== sorted) continue;
    }
    best = candidate;
    bestDistance = d;
  }
  return best;
}
