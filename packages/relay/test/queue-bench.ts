/**
 * Numbers for the queue's README section (not a test: nothing here asserts on time). Run:
 *   node --conditions=dev-source --import tsx packages/relay/test/queue-bench.ts [spool-dir]
 * Measures, per backend: sequential enqueue latency (p50/p99: the wait the SMTP client sees before
 * its 250), enqueue throughput with 16 concurrent enqueues, and delivery throughput with a no-op
 * upstream (the queue's own overhead), for 4 KB messages.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedisServer } from '@kalisto/test-support';
import type { DeliveryQueue } from '../src/queue/index.js';
import { envelopeFor, openAt, type QueueLocation } from './queue-fixtures.js';

const raw = Buffer.alloc(4_096, 'x');
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

async function measure(name: string, where: QueueLocation): Promise<void> {
  const queue: DeliveryQueue = await openAt(where, { concurrency: 8 });
  const latencies: number[] = [];
  for (let i = 0; i < 300; i++) {
    const start = process.hrtime.bigint();
    await queue.enqueue({ ...envelopeFor(i), raw });
    latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  latencies.sort((a, b) => a - b);
  const parallelCount = 2_000;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < parallelCount) {
        next++;
        await queue.enqueue({ ...envelopeFor(next), raw });
      }
    }),
  );
  const enqueueRate = parallelCount / ((performance.now() - started) / 1_000);
  const total = 300 + parallelCount;
  let delivered = 0;
  const deliverStart = performance.now();
  const done = new Promise<void>((resolve) => {
    queue.start(async () => {
      if (++delivered === total) resolve();
      return { response: '250 OK' };
    });
  });
  await done;
  const deliverRate = total / ((performance.now() - deliverStart) / 1_000);
  await queue.close();
  console.log(
    `${name}: enqueue p50 ${percentile(latencies, 0.5).toFixed(2)} ms, p99 ${percentile(latencies, 0.99).toFixed(2)} ms (sequential); ` +
      `${enqueueRate.toFixed(0)} enqueues/s (16 concurrent); ${deliverRate.toFixed(0)} deliveries/s (concurrency 8, no-op upstream)`,
  );
}

const dir = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'kalisto-queue-bench-'));
const redis = await startRedisServer(['--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', dir]);
try {
  await measure('spool', { backend: 'spool', path: join(dir, 'spool') });
  await measure('redis (appendfsync everysec)', { backend: 'redis', url: redis.url, prefix: 'bench' });
} finally {
  await redis.stop();
  if (process.argv[2] === undefined) rmSync(dir, { recursive: true, force: true });
}
