/**
 * Interleaved comparison rounds: every round runs each contender once, alternating the order
 * (A,B then B,A) so that a load change on this shared machine hits both sides alike. A contender's
 * ratio is the median of its per-round ratios to the raw library, so one slow round moves it little.
 */

/** One side of a comparison: `round()` does the work once and returns the measured value. */
export interface Contender {
  readonly name: string;
  /** Runs one round; returns its value in the comparison's unit (lower is better). */
  round(): Promise<number>;
  /**
   * Name of another contender of the comparison whose per-round values this one's ratio is taken
   * to (default: the raw library), for comparing two protocols rather than a wrapper and its library.
   */
  readonly baseline?: string;
  /** A peer shown for comparison (e.g. another language's library): its ratio is reported, not graded. */
  readonly info?: boolean;
  /**
   * Does its work in another process (a Python peer): this process's CPU says nothing about it, so
   * the CPU rows leave it out.
   */
  readonly external?: boolean;
}

/** A comparison of ours against the raw library, in one run. */
export interface Comparison {
  readonly benchmark: string;
  /** Unit of the values `round()` returns, e.g. `ns/op`, `ms`. */
  readonly unit: string;
  readonly rounds: number;
  /** Rounds run and thrown away first (JIT, connection set-up, caches). */
  readonly warmup?: number;
  /** The raw library: every ratio is relative to it. */
  readonly raw: Contender;
  readonly contenders: readonly Contender[];
  /** Highest acceptable ratio of ours to raw (time), with how the issue phrased it. */
  readonly target?: { maxRatio: number; text: string };
  /**
   * Also report this process's CPU time per round (user + system, ms) as a second set of rows. Other
   * processes' load hardly moves it, so it shows a wrapper's own overhead where wall time is noise.
   */
  readonly cpu?: boolean;
}

/**
 * `inconclusive`: the per-round ratios fall on both sides of the target and their spread is wider
 * than the target's margin — this run cannot tell.
 */
export type Verdict = 'pass' | 'FAIL' | 'inconclusive' | 'info';

/** One row of the results table. */
export interface ResultRow {
  benchmark: string;
  contender: string;
  /** Median value, with `unit`. */
  median: number;
  unit: string;
  /** Spread of the values over the rounds: (max − min) / median, as a fraction. */
  spread: number;
  /** Median per-round ratio to the raw library (1 for the raw library itself). */
  ratio?: number;
  /** Lowest and highest per-round ratio. */
  ratioRange?: [number, number];
  /** The contender `ratio` is taken to, when not the raw library. */
  ratioTo?: string;
  /** The measured value of every round, in order (warm-up rounds left out). */
  samples?: number[];
  target?: string;
  verdict: Verdict;
  /** Anything else worth a line (requests made, byte-exact counts…). */
  note?: string;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function spreadOf(values: readonly number[]): number {
  const m = median(values);
  return m === 0 ? 0 : (Math.max(...values) - Math.min(...values)) / m;
}

/** Runs the rounds and returns one row per contender (the raw library first), then the CPU rows if asked. */
export async function compare(comparison: Comparison): Promise<ResultRow[]> {
  const all = [comparison.raw, ...comparison.contenders];
  for (let w = 0; w < (comparison.warmup ?? 1); w++) for (const contender of all) await contender.round();
  const samples = all.map(() => [] as number[]);
  const cpuSamples = all.map(() => [] as number[]);
  for (let r = 0; r < comparison.rounds; r++) {
    const order = all.map((_, i) => i);
    if (r % 2 === 1) order.reverse();
    for (const i of order) {
      const cpuStart = process.cpuUsage();
      samples[i]?.push(await (all[i] as Contender).round());
      const cpu = process.cpuUsage(cpuStart);
      cpuSamples[i]?.push((cpu.user + cpu.system) / 1e3);
    }
  }
  const rows = toRows(comparison, comparison.benchmark, comparison.unit, samples);
  if (comparison.cpu) {
    const cpuRows = toRows(comparison, `${comparison.benchmark} (client CPU)`, 'ms CPU/round', cpuSamples);
    rows.push(...cpuRows.filter((_, i) => all[i]?.external !== true));
  }
  return rows;
}

/**
 * The verdict on a median ratio against `maxRatio` (lower is better), given the lowest and highest
 * per-round ratio. Every round within the target passes and every round beyond it fails, however wide
 * the spread. Otherwise the median decides only while the per-round spread, (highest − lowest) / 2,
 * stays within the target's margin (`maxRatio − 1`, e.g. 0.03 for "≤3%"); wider, the run cannot tell
 * a pass from a failure: `inconclusive`.
 */
export function verdictOf(ratio: number, range: readonly [number, number], maxRatio: number): Verdict {
  const [lowest, highest] = range;
  if (highest <= maxRatio) return 'pass';
  if (lowest > maxRatio) return 'FAIL';
  if ((highest - lowest) / 2 > Math.abs(maxRatio - 1)) return 'inconclusive';
  return ratio <= maxRatio ? 'pass' : 'FAIL';
}

/** The median of the per-round ratios `values[r] / base[r]`, with the lowest and highest. */
export function pairedRatio(
  values: readonly number[],
  base: readonly number[],
): { ratio: number; range: [number, number] } {
  const ratios = values.map((v, r) => v / (base[r] as number));
  return { ratio: median(ratios), range: [Math.min(...ratios), Math.max(...ratios)] };
}

function toRows(comparison: Comparison, benchmark: string, unit: string, samples: number[][]): ResultRow[] {
  const all = [comparison.raw, ...comparison.contenders];
  const baseOf = (contender: Contender): number[] => {
    if (contender.baseline === undefined) return samples[0] as number[];
    const index = all.findIndex((c) => c.name === contender.baseline);
    if (index === -1) throw new Error(`${contender.name}: no contender named ${contender.baseline}`);
    return samples[index] as number[];
  };
  return all.map((contender, i): ResultRow => {
    const values = samples[i] as number[];
    if (i === 0) return rawRow(benchmark, contender.name, unit, values);
    const target = contender.info ? undefined : comparison.target;
    return {
      ...pairedRow(benchmark, contender.name, unit, values, baseOf(contender), target),
      ...(contender.baseline === undefined ? {} : { ratioTo: contender.baseline }),
    };
  });
}

/** The raw library's row: its values' median and spread, ratio 1. */
export function rawRow(benchmark: string, contender: string, unit: string, values: number[]): ResultRow {
  const { ratioRange: _itself, ...row } = pairedRow(benchmark, contender, unit, values, values);
  return row;
}

/**
 * A contender's row: the median and spread of its per-round `values`, its ratio paired round by
 * round with `base`, and the verdict against `target` (`info` without one).
 */
export function pairedRow(
  benchmark: string,
  contender: string,
  unit: string,
  values: number[],
  base: readonly number[],
  target?: { maxRatio: number; text: string },
): ResultRow {
  const { ratio, range } = pairedRatio(values, base);
  return {
    benchmark,
    contender,
    median: median(values),
    unit,
    spread: spreadOf(values),
    ratio,
    ratioRange: range,
    ...(target === undefined ? {} : { target: target.text }),
    verdict: target === undefined ? 'info' : verdictOf(ratio, range, target.maxRatio),
    samples: values,
  };
}

/** Times `fn` once, in ms. */
export async function timeMs(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/**
 * Times `ops` sequential awaited calls of `fn`, in ns per call. `fn` may answer synchronously: the
 * loop's `await` is then the only promise machinery it pays, as a caller awaiting it would.
 */
export async function nsPerOp(ops: number, fn: () => unknown): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < ops; i++) await fn();
  return Number(process.hrtime.bigint() - start) / ops;
}

/** Times `ops` sequential calls of a synchronous `fn`, in ns per call: no promise, no await. */
export async function nsPerSyncOp(ops: number, fn: () => unknown): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < ops; i++) fn();
  return Number(process.hrtime.bigint() - start) / ops;
}

/** CPU time this process spends (user + system) on `ops` sequential awaited calls of `fn`, in ns per call. */
export async function cpuNsPerOp(ops: number, fn: () => Promise<unknown>): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < ops; i++) await fn();
  const used = process.cpuUsage(start);
  return ((used.user + used.system) * 1e3) / ops;
}
