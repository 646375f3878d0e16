/**
 * Child process of the hostile-server test: logs in through the imap provider (the properties come
 * in KALISTO_TEST_PROPERTIES), then lists folders while the server floods, sampling its own RSS.
 * Prints one JSON line: the error's name, code and limit, and the RSS growth over the logged-in
 * baseline.
 */
import { createKalisto } from '@kalisto/core';
import { msalTokenProvider } from '@kalisto/token-msal';
import type { ImapFlow } from 'imapflow';
import { imap } from '../src/index.js';

const properties = JSON.parse(process.env.KALISTO_TEST_PROPERTIES ?? '{}') as Record<string, string>;
const kalisto = createKalisto({ protocols: [imap()], tokenProviders: [msalTokenProvider()] });
const client = (await kalisto.session(properties).store('imap')) as ImapFlow;

const baseline = process.memoryUsage().rss;
let peak = baseline;
const sample = () => {
  peak = Math.max(peak, process.memoryUsage().rss);
};
const timer = setInterval(sample, 5);
const error = await client.list().then(
  () => undefined,
  (e: unknown) => e as { name?: string; code?: string; limit?: number },
);
sample();
clearInterval(timer);
process.stdout.write(
  `${JSON.stringify({ name: error?.name, code: error?.code, limit: error?.limit, growthBytes: peak - baseline })}\n`,
);
client.close();
await kalisto.close();
process.exit(0);
