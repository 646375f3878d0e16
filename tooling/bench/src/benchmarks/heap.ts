/** Heap taken by 100,000 cached tokens: memoryCache against a raw lru-cache holding the same entries. */
import { createHash } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { memoryCache } from '@kalisto/cache-memory';
import { LRUCache } from 'lru-cache';
import type { Benchmark } from '../context.js';
import type { ResultRow } from '../harness.js';
import { median } from '../harness.js';
import { cachedTokenEntry } from '../token-fixture.js';

const ENTRIES = 100_000;
const TARGET_BYTES = 100 * 1024 * 1024;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function settledHeap(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

/** Heap growth, in bytes, while `fill` holds `ENTRIES` entries (released afterwards). */
async function heapOf(fill: () => Promise<unknown>): Promise<number> {
  const before = settledHeap();
  const held = await fill();
  const after = settledHeap();
  // Keep `held` alive until after the measurement.
  if (held === undefined) throw new Error('nothing held');
  return after - before;
}

export const tokenHeap: Benchmark = {
  name: 'cache-heap',
  title: '100,000 cached tokens in memory: heap bytes',
  async run() {
    const ttl = 3_600_000;
    const keys = Array.from({ length: ENTRIES }, (_, i) =>
      createHash('sha256').update(String(i)).digest('hex'),
    );
    const sizes: Record<'values' | 'raw' | 'ours', number[]> = { values: [], raw: [], ours: [] };
    for (let round = 0; round < 2; round++) {
      sizes.values.push(await heapOf(async () => keys.map(() => cachedTokenEntry())));
      sizes.raw.push(
        await heapOf(async () => {
          const lru = new LRUCache<string, object>({ max: ENTRIES });
          for (const key of keys) lru.set(key, cachedTokenEntry(), { ttl });
          return lru;
        }),
      );
      sizes.ours.push(
        await heapOf(async () => {
          const cache = memoryCache({ max: ENTRIES });
          for (const key of keys) await cache.set(key, cachedTokenEntry(), ttl);
          return cache;
        }),
      );
    }
    const values = median(sizes.values);
    const raw = median(sizes.raw);
    const ours = median(sizes.ours);
    const mb = (bytes: number) => bytes / (1024 * 1024);
    const row = (contender: string, bytes: number, extra: Partial<ResultRow>): ResultRow => ({
      benchmark: 'heap: 100,000 tokens',
      contender,
      median: mb(bytes),
      unit: 'MB',
      spread: 0,
      verdict: 'info',
      note: `bookkeeping ${Math.round((bytes - values) / ENTRIES)} B/entry over the values`,
      ...extra,
    });
    return [
      row('the entries alone (array)', values, { note: `${Math.round(values / ENTRIES)} B/entry` }),
      row('lru-cache', raw, { ratio: 1 }),
      row('memoryCache()', ours, {
        ratio: ours / raw,
        note: `bookkeeping ${Math.round((ours - values) / ENTRIES)} B/entry; the tokens alone take ${Math.round(mb(values))} MB`,
        target: '≤100 MB',
        verdict: ours <= TARGET_BYTES ? 'pass' : 'FAIL',
      }),
    ];
  },
};
