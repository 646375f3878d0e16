// Preloaded into the CLI by pop3-streaming.integration.test.ts: on exit, writes the process's peak
// resident set (bytes) to KALISTO_TEST_MAX_RSS_FILE. Linux's VmHWM is this program's own peak;
// getrusage's maxRSS would also count the parent's pages at fork (it survives exec).
import { readFileSync, writeFileSync } from 'node:fs';

function peakRss() {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kib = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1];
  return kib === undefined ? process.resourceUsage().maxRSS * 1024 : Number(kib) * 1024;
}

const file = process.env.KALISTO_TEST_MAX_RSS_FILE;
if (file) process.on('exit', () => writeFileSync(file, String(peakRss())));
