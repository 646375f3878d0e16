/**
 * The relay side of the memory test, in its own process so that its memory is its own (the sandbox
 * and the clients live in the parent): an IMAP listener over a Kalisto session (real MSAL) for the
 * sandbox described in KALISTO_TEST_PROPERTIES. It prints JSON lines: `listening` with its port,
 * then for each `measure` line on stdin its connection count, resident set (VmRSS, after two full
 * garbage collections), peak (VmHWM, this process's own), JS heap in use and Buffer memory held.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createKalisto } from '@kalisto/core';
import { imap, imaps } from '@kalisto/protocol-imap';
import { msalTokenProvider } from '@kalisto/token-msal';
import { createImapProxy } from '../src/proxy/index.js';

const report = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);
const properties = JSON.parse(process.env.KALISTO_TEST_PROPERTIES ?? '{}') as Record<string, string>;
const password = process.env.KALISTO_TEST_PASSWORD ?? '';
const mailbox = properties['o365.user'] ?? '';

/** Two full collections a moment apart, so V8 has returned the pages it freed. */
async function settle(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  await new Promise((resolve) => setTimeout(resolve, 200));
  gc?.();
}

function memory() {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]) * 1024;
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return { rss: kib('VmRSS'), peak: kib('VmHWM'), heapUsed, arrayBuffers };
}

const kalisto = createKalisto({ protocols: [imap(), imaps()], tokenProviders: [msalTokenProvider()] });
const session = kalisto.session(properties);
const proxy = createImapProxy({
  port: 0,
  tls: { mode: 'none' },
  maxConnections: 5000,
  authenticate: async (user, given) => (user === mailbox && given === password ? { mailbox } : undefined),
  sessionFor: () => session,
});
const { port } = await proxy.listen();
report({ event: 'listening', port });

createInterface({ input: process.stdin }).on('line', async (line) => {
  if (line === 'measure') {
    await settle();
    report({ event: 'measured', connections: proxy.connections(), ...memory() });
  }
  if (line === 'quit') {
    await proxy.close({ timeoutMs: 1000 });
    await kalisto.close();
    process.exit(0);
  }
});
