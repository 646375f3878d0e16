/**
 * The client side of the memory tests, in its own process so that its memory is its own: connects
 * to the hostile server on KALISTO_TEST_PORT with the default bounds and, per KALISTO_TEST_MODE,
 * reads the (endless) CAPA reply or streams RETR 1 to nowhere. Reports the outcome and how far the
 * resident set grew above where it stood before connecting (its peak: Linux's VmHWM, this
 * program's own; getrusage's maxRSS would also count the parent's pages at fork).
 */
import { readFileSync } from 'node:fs';
import { isKalistoError } from '@kalisto/core';
import { connectPop3 } from '../src/index.js';

const report = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);
const port = Number(process.env.KALISTO_TEST_PORT);
const mode = process.env.KALISTO_TEST_MODE;

const baseline = process.memoryUsage().rss;
let outcome: Record<string, unknown>;
try {
  const client = await connectPop3({ host: '127.0.0.1', port, secure: false, allowInsecureAuth: true });
  let bytes = 0;
  if (mode === 'retr') {
    for await (const chunk of client.retr(1)) bytes += (chunk as Buffer).length;
  }
  await client.close();
  outcome = { event: 'done', bytes };
} catch (error) {
  outcome = isKalistoError(error)
    ? { event: 'error', code: error.code, message: error.message }
    : { event: 'error', message: String(error) };
}
function peakRss(): number {
  const kib = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  return kib === undefined ? process.resourceUsage().maxRSS * 1024 : Number(kib) * 1024;
}

// The peak, whatever happened between two samples.
report({ ...outcome, rssGrowthBytes: peakRss() - baseline });
