/**
 * The relay for the relay benchmarks, in a process of its own (as it runs in production, and so
 * that its memory is its own): createRelay over a Kalisto with the SMTP and IMAP providers and MSAL,
 * configured by the property map given as its one argument (JSON). Prints one JSON line with the
 * listeners' ports; then each `measure` line on stdin is answered with its open connections count,
 * resident set (VmRSS after two full collections, with --expose-gc), peak (VmHWM) and JS heap in
 * use; each `cpu` line with its CPU time so far (user + system, ms); `quit` stops it.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { consoleLogger, createKalisto, type LogLevel } from '@kalisto/core';
import { imap, imaps } from '@kalisto/protocol-imap';
import { smtp, smtps } from '@kalisto/protocol-smtp';
import { createRelay } from '@kalisto/relay';
import { msalTokenProvider } from '@kalisto/token-msal';

const say = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);
const properties = JSON.parse(process.argv[2] ?? '{}') as Record<string, string>;

// Errors only by default (on stderr); KALISTO_BENCH_RELAY_LOG=warn|info|debug for more.
const logger = consoleLogger({ level: (process.env.KALISTO_BENCH_RELAY_LOG ?? 'error') as LogLevel });
const kalisto = createKalisto({
  protocols: [smtp(), smtps(), imap(), imaps()],
  tokenProviders: [msalTokenProvider()],
  logger,
});
const relay = createRelay({ kalisto, properties, logger });
await relay.start();
say({
  event: 'listening',
  ports: Object.fromEntries(Object.entries(relay.addresses).map(([name, a]) => [name, a.port])),
});

/** Two full collections a moment apart, so V8 has returned the pages it freed. */
async function settle(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  await new Promise((resolve) => setTimeout(resolve, 200));
  gc?.();
}

function memory() {
  const status = readFileSync('/proc/self/status', 'utf8');
  const bytes = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]) * 1024;
  return { rss: bytes('VmRSS'), peak: bytes('VmHWM'), heapUsed: process.memoryUsage().heapUsed };
}

/** Open client connections of every listener, from the relay's own gauge. */
async function connections(): Promise<number> {
  const text = await relay.metrics();
  let total = 0;
  for (const match of text.matchAll(/^kalisto_relay_connections_active\{[^}]*\} (\d+)$/gm))
    total += Number(match[1]);
  return total;
}

createInterface({ input: process.stdin }).on('line', async (line) => {
  if (line === 'measure') {
    await settle();
    say({ event: 'measured', connections: await connections(), ...memory() });
  }
  if (line === 'cpu') {
    const { user, system } = process.cpuUsage();
    say({ event: 'cpu', ms: (user + system) / 1e3 });
  }
  if (line === 'quit') {
    await relay.stop({ timeoutMs: 1_000 });
    await kalisto.close();
    process.exit(0);
  }
});
