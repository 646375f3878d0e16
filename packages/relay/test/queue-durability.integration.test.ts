/**
 * What "nothing lost" means, shown with real processes: a relay stand-in (queue-child.ts) is
 * SIGKILLed while enqueueing and while delivering, and a new process delivers exactly what was
 * accepted (byte-exact; one duplicate only for a message upstream had accepted when the kill
 * came); two processes on one spool directory / one Redis never deliver a message twice.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  type RedisServer,
  type StartedScript,
  startNodeScript,
  startRedisServer,
} from '@kalisto/test-support';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildPlan } from './queue-child.js';
import {
  type Backend,
  countsById,
  envelopeFor,
  eventually,
  messageFor,
  openAt,
  type QueueLocation,
  readRecorded,
  sha,
} from './queue-fixtures.js';

let redis: RedisServer;
const root = mkdtempSync(join(tmpdir(), 'kalisto-queue-dur-'));
let counter = 0;
/** queue-child.ts bundled once (from source), so each of the many process starts costs only node's. */
let child = '';

beforeAll(async () => {
  redis = await startRedisServer();
  // Inside this package's node_modules, so the bundle's imports of bullmq and ioredis resolve.
  child = join(import.meta.dirname, '..', 'node_modules', '.cache', `queue-child-${process.pid}.mjs`);
  await build({
    entryPoints: [join(import.meta.dirname, 'queue-child.ts')],
    outfile: child,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['dev-source'],
    external: ['bullmq', 'ioredis'],
    logLevel: 'silent',
  });
});
afterAll(async () => {
  await redis?.stop();
  rmSync(root, { recursive: true, force: true });
  if (child) rmSync(child, { force: true });
});

interface Event {
  event: string;
  index?: number;
  id?: string;
  pid?: number;
}

interface Running {
  readonly script: StartedScript;
  readonly events: Event[];
  /** Resolves with the exit code (null when killed). */
  readonly exited: Promise<number | null>;
  kill(): Promise<void>;
}

function spawnChild(plan: ChildPlan, onEvent: (event: Event, self: Running) => void = () => {}): Running {
  const script = startNodeScript(child, [JSON.stringify(plan)]);
  const events: Event[] = [];
  const exited = new Promise<number | null>((resolve) => script.child.once('exit', (code) => resolve(code)));
  const running: Running = {
    script,
    events,
    exited,
    async kill() {
      script.child.kill('SIGKILL');
      await exited;
    },
  };
  createInterface({ input: script.child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    if (!line.startsWith('{')) return;
    const event = JSON.parse(line) as Event;
    events.push(event);
    onEvent(event, running);
  });
  return running;
}

async function runToEnd(plan: ChildPlan): Promise<Running> {
  const running = spawnChild(plan);
  const code = await running.exited;
  if (code !== 0) throw new Error(`queue child exited with ${code}: ${running.script.stderr()}`);
  return running;
}

function location(backend: Backend): QueueLocation {
  counter++;
  return backend === 'spool'
    ? { backend, path: join(root, `spool-${counter}`) }
    : { backend, url: redis.url, prefix: `d${counter}` };
}

/** Every recorded delivery carries exactly the bytes and envelope of the message its header names. */
function expectByteExact(records: string, bigEvery = 10): void {
  for (const recorded of readRecorded(records)) {
    const expected =
      recorded.index % bigEvery === 0 ? messageFor(recorded.index, 200_000) : messageFor(recorded.index);
    expect(sha(recorded.raw), `message ${recorded.index}`).toBe(sha(expected));
    expect(recorded.item.envelope).toEqual(envelopeFor(recorded.index).envelope);
  }
}

describe.each(['spool', 'redis'] as const)('%s queue across processes', (backend) => {
  it('a process SIGKILLed while enqueueing: a new one delivers every accepted message, once, byte-exact', async () => {
    const where = location(backend);
    const records = join(root, `rec-${counter}`);
    const accepted = new Map<number, string>();
    const enqueuer = spawnChild(
      { location: where, enqueue: { from: 0, to: 200, parallel: 4 } },
      (event, self) => {
        if (event.event !== 'enqueued') return;
        accepted.set(event.index as number, event.id as string);
        if (accepted.size === 60) self.script.child.kill('SIGKILL');
      },
    );
    expect(await enqueuer.exited).toBeNull(); // killed, not finished

    await runToEnd({ location: where, work: { records, concurrency: 4, exitWhenIdle: true } });
    const recorded = readRecorded(records);
    const counts = countsById(recorded);
    // Every message whose enqueue resolved (the client's 250) was delivered exactly once.
    for (const [index, id] of accepted) expect(counts.get(id), `message ${index}`).toBe(1);
    // Beyond those, only the ≤ 4 being written at the kill may appear (complete, never half); no duplicates.
    const extra = recorded.filter((r) => !accepted.has(r.index));
    expect(extra.length).toBeLessThanOrEqual(4);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    const highest = Math.max(...accepted.keys());
    for (const r of extra) expect(r.index).toBeLessThanOrEqual(highest + 4);
    expectByteExact(records);
  });

  it.each([
    ['after upstream accepted it: delivered once more (the one duplicate)', 'after', 2],
    ['before upstream accepted it: delivered exactly once', 'before', 1],
  ] as const)('a process SIGKILLed mid-delivery, %s', async (_title, when, times) => {
    const where = location(backend);
    const records = join(root, `rec-${counter}`);
    let heldId: string | undefined;
    const worker = spawnChild(
      {
        location: where,
        enqueue: { from: 0, to: 20, parallel: 1 },
        work: { records, concurrency: 1, hold: { index: 7, when } },
      },
      (event, self) => {
        if (event.index === 7 && event.event === (when === 'after' ? 'accepted' : 'started')) {
          heldId = event.id;
          self.script.child.kill('SIGKILL');
        }
      },
    );
    await worker.exited;
    expect(heldId).toBeDefined();
    const enqueued = worker.events.filter((e) => e.event === 'enqueued');
    expect(enqueued).toHaveLength(20);

    await runToEnd({ location: where, work: { records, concurrency: 2, exitWhenIdle: true } });
    const counts = countsById(readRecorded(records));
    for (const { index, id } of enqueued) {
      expect(counts.get(id as string), `message ${index}`).toBe(id === heldId ? times : 1);
    }
    expect(counts.size).toBe(20);
    expectByteExact(records);
  });

  it('two processes sharing the queue deliver 200 messages, none twice, both taking part', async () => {
    const where = location(backend);
    const records = join(root, `rec-${counter}`);
    const queue = await openAt(where);
    const ids: string[] = [];
    for (let index = 0; index < 200; index++) {
      const raw = index % 10 === 0 ? messageFor(index, 200_000) : messageFor(index);
      ids.push(await queue.enqueue({ ...envelopeFor(index), raw }));
    }
    await queue.close();

    // Every delivery waits until both processes have started one: neither can drain the queue alone.
    const gate = { dir: join(root, `gate-${counter}`), peers: 2 };
    const plan: ChildPlan = { location: where, work: { records, concurrency: 4, gate, exitWhenIdle: true } };
    const [a, b] = await Promise.all([runToEnd(plan), runToEnd(plan)]);

    const recorded = readRecorded(records);
    const counts = countsById(recorded);
    expect(counts.size).toBe(200);
    for (const id of ids) expect(counts.get(id)).toBe(1);
    const pids = new Set(recorded.map((r) => r.pid));
    expect(pids).toEqual(new Set([a.events[0]?.pid, b.events[0]?.pid]));
    expectByteExact(records);
  });
});

describe('spool recovery', () => {
  it('an interrupted claim whose process is gone is taken over at once; after restart everything is delivered', async () => {
    const where = location('spool');
    const records = join(root, `rec-${counter}`);
    const worker = spawnChild(
      {
        location: where,
        enqueue: { from: 0, to: 5, parallel: 1 },
        work: { records, concurrency: 1, hold: { index: 0, when: 'before' } },
      },
      (event, self) => {
        if (event.event === 'started') self.script.child.kill('SIGKILL');
      },
    );
    await worker.exited;
    const queue = await openAt(where);
    // The dead process's claim is listed as in flight until someone recovers it.
    expect((await queue.list()).filter((m) => m.inFlight)).toHaveLength(1);
    const delivered: string[] = [];
    queue.start(async (item) => {
      delivered.push(item.id);
      return { response: '250 OK' };
    });
    await eventually(() => delivered.length === 5, 'all five messages');
    await queue.close();
    expect(new Set(delivered).size).toBe(5);
  });
});
