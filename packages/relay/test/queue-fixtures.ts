/**
 * Shared by the queue tests and their child process: deterministic messages (binary bodies, so
 * byte-exactness means something), a recording `deliver` that writes what "upstream" accepted into
 * real files, and openers for both backends.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Deliver,
  type DeliveryQueue,
  type DeliveryQueueOptions,
  openDeliveryQueue,
  type QueuedItem,
  type QueueTuning,
} from '../src/queue/index.js';

/** Backoff small enough that retries happen at once; tests never assert on time. */
export const FAST: QueueTuning = { backoffBaseMs: 5, backoffMaxMs: 20, maxAttempts: 5, leaseMs: 1_000 };

/** Message `index`: a header naming it, then a binary body (every byte value, CR/LF/NUL included). */
export function messageFor(index: number, size = 200 + ((index * 7_919) % 4_000)): Buffer {
  let seed = (index + 1) * 2_654_435_761;
  const body = Buffer.alloc(size);
  for (let i = 0; i < size; i++) {
    seed = (seed * 1_103_515_245 + 12_345) >>> 0;
    body[i] = seed >>> 24;
  }
  return Buffer.concat([Buffer.from(`X-Index: ${index}\r\nSubject: m${index}\r\n\r\n`, 'latin1'), body]);
}

export const indexOf = (raw: Buffer): number =>
  Number(/^X-Index: (\d+)\r\n/.exec(raw.subarray(0, 40).toString('latin1'))?.[1] ?? Number.NaN);

export const sha = (raw: Buffer): string => createHash('sha256').update(raw).digest('hex');

export const envelopeFor = (index: number) => ({
  mailbox: 'printer@contoso.example',
  upstream: 'smtp',
  listener: 'devices',
  envelope: { from: 'printer@contoso.example', to: [`r${index}@contoso.example`, 'bcc@contoso.example'] },
});

/** One delivery as "upstream" recorded it: a file per accepted message, written before deliver returns. */
export interface Recorded {
  readonly id: string;
  readonly index: number;
  readonly pid: number;
  readonly raw: Buffer;
  readonly item: QueuedItem;
}

let sequence = 0;

/** A `deliver` that records each message in `dir` (what upstream accepted) and resolves 250. */
export function recordingDeliver(dir: string): Deliver {
  mkdirSync(dir, { recursive: true });
  return async (item, raw) => {
    const name = `${item.id}.${process.pid}.${sequence++}`;
    writeFileSync(join(dir, `${name}.eml`), raw);
    writeFileSync(join(dir, `${name}.json`), JSON.stringify(item));
    return { response: `250 2.0.0 OK <${item.id}>` };
  };
}

/** Everything recorded in `dir`, by any process. */
export function readRecorded(dir: string): Recorded[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((name) => name.endsWith('.eml'))
    .map((name) => {
      const [id, pid] = name.split('.');
      const raw = readFileSync(join(dir, name));
      const item = JSON.parse(readFileSync(join(dir, name.replace(/\.eml$/, '.json')), 'utf8')) as QueuedItem;
      return { id: id as string, pid: Number(pid), raw, index: indexOf(raw), item };
    });
}

/** How many times each id was recorded. */
export function countsById(recorded: readonly Recorded[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of recorded) counts.set(r.id, (counts.get(r.id) ?? 0) + 1);
  return counts;
}

export type Backend = 'spool' | 'redis';

/** Where a backend's queue lives for one test: a spool directory or a Redis URL plus a fresh prefix. */
export interface QueueLocation {
  readonly backend: Backend;
  readonly path?: string;
  readonly url?: string;
  readonly prefix?: string;
}

export function openAt(location: QueueLocation, tuning: QueueTuning = FAST): Promise<DeliveryQueue> {
  const options: DeliveryQueueOptions =
    location.backend === 'spool'
      ? { kind: 'spool', path: location.path as string, pollIntervalMs: 50, ...tuning }
      : { kind: 'redis', url: location.url as string, prefix: location.prefix as string, ...tuning };
  return openDeliveryQueue(options);
}

/** Polls `check` until true; fails only when it never becomes true (a hang), never on speed. */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, withinMs = 20_000) {
  const deadline = Date.now() + withinMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
