/**
 * A relay stand-in run as a separate process by the durability tests: it enqueues messages and/or
 * delivers them with the recording `deliver`, printing one JSON line per event so the parent can
 * SIGKILL it at an exact point. Its one argument is a JSON {@link ChildPlan}.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Deliver } from '../src/queue/index.js';
import {
  envelopeFor,
  FAST,
  indexOf,
  messageFor,
  openAt,
  type QueueLocation,
  recordingDeliver,
} from './queue-fixtures.js';

export interface ChildPlan {
  readonly location: QueueLocation;
  /** Enqueue messages [from, to), `parallel` at a time. */
  readonly enqueue?: {
    readonly from: number;
    readonly to: number;
    readonly parallel: number;
    readonly bigEvery?: number;
  };
  /** Deliver, recording into `records`. */
  readonly work?: {
    readonly records: string;
    readonly concurrency: number;
    /** Stop (hang) inside deliver of message `index`: before upstream accepts it, or after. */
    readonly hold?: { readonly index: number; readonly when: 'before' | 'after' };
    /** Every delivery waits until `peers` processes have started one (files in `dir`). */
    readonly gate?: { readonly dir: string; readonly peers: number };
    /** Close and exit 0 once the whole queue is empty. */
    readonly exitWhenIdle?: boolean;
  };
}

const say = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);
const forever = () => new Promise<never>(() => {});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const plan = JSON.parse(process.argv[2] as string) as ChildPlan;
  const work = plan.work;
  const queue = await openAt(plan.location, { ...FAST, ...(work ? { concurrency: work.concurrency } : {}) });
  say({ event: 'ready', pid: process.pid });

  if (plan.enqueue) {
    const { from, to, parallel, bigEvery = 10 } = plan.enqueue;
    let next = from;
    const lane = async () => {
      while (next < to) {
        const index = next++;
        const raw = index % bigEvery === 0 ? messageFor(index, 200_000) : messageFor(index);
        const id = await queue.enqueue({ ...envelopeFor(index), raw });
        say({ event: 'enqueued', index, id });
      }
    };
    await Promise.all(Array.from({ length: parallel }, lane));
    say({ event: 'enqueue-done' });
  }

  if (!work) {
    await queue.close();
    return;
  }
  const record = recordingDeliver(work.records);
  if (work.gate) mkdirSync(work.gate.dir, { recursive: true });
  const deliver: Deliver = async (item, raw, context) => {
    const index = indexOf(raw);
    say({ event: 'started', index, id: item.id });
    if (work.gate) {
      writeFileSync(join(work.gate.dir, String(process.pid)), '');
      while (readdirSync(work.gate.dir).length < work.gate.peers) await sleep(10);
    }
    if (work.hold?.index === index && work.hold.when === 'before') await forever();
    const receipt = await record(item, raw, context);
    if (work.hold?.index === index) {
      say({ event: 'accepted', index, id: item.id });
      await forever();
    }
    return receipt;
  };
  queue.start(deliver);
  if (work.exitWhenIdle) {
    for (;;) {
      const stats = await queue.stats();
      if (stats.pending === 0 && stats.inFlight === 0) break;
      await sleep(25);
    }
    await queue.close();
    say({ event: 'idle' });
    process.exit(0);
  }
  await forever();
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
