/**
 * Memory stays flat against a server that never stops: measured in a child process (its peak
 * resident set), with the default bounds, while this process serves hundreds of megabytes.
 */
import { fileURLToPath } from 'node:url';
import { type Flooded, flood, runChild } from '@kalisto/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { capaReply, type FakeServer, startFakeServer } from './fake-server.js';

const MiB = 1024 * 1024;
const GROWTH_BOUND = 64 * MiB;
const child = fileURLToPath(new URL('./memory-child.ts', import.meta.url));

let server: FakeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Serves `reply` to `verb` (a flood of `filler`, `total` bytes, then the end of the reply). */
async function floodingServer(verb: string, filler: Buffer, total: number) {
  let sent: Promise<Flooded> | undefined;
  server = await startFakeServer({
    greeting: '+OK ready\r\n',
    onLine: (line, connection) => {
      if (line === verb) {
        connection.send('+OK\r\n');
        sent = flood(connection.socket, filler, total, { end: '.\r\n' });
      } else if (line === 'CAPA') connection.send(capaReply('UIDL'));
      else connection.send('+OK\r\n');
    },
  });
  return { port: server.port, sent: () => sent };
}

async function runClient(port: number, mode: string) {
  const events = await runChild(
    child,
    { KALISTO_TEST_PORT: String(port), KALISTO_TEST_MODE: mode },
    () => {},
    120_000,
  );
  return events[0] as {
    event: string;
    code?: string;
    message?: string;
    bytes?: number;
    rssGrowthBytes: number;
  };
}

describe('bounded memory (child process)', () => {
  it('500 MB of endless CAPA: POP3_RESPONSE_TOO_LARGE at the default 16 MiB, RSS growth under 64 MB', async () => {
    const total = 500 * 1000 * 1000;
    const { port, sent } = await floodingServer(
      'CAPA',
      Buffer.from(`X-PADDING ${'p'.repeat(1012)}\r\n`.repeat(64)),
      total,
    );
    const result = await runClient(port, 'capa');
    expect(result).toMatchObject({ event: 'error', code: 'POP3_RESPONSE_TOO_LARGE' });
    expect(result.message).toContain('mail.pop3.maxResponseBytes');
    expect(result.message).toContain(`larger than ${16 * MiB} bytes`);
    expect(result.rssGrowthBytes).toBeLessThan(GROWTH_BOUND);
    const flooded = await sent();
    expect(flooded?.stoppedByClient).toBe(true);
    console.info(
      `endless CAPA: client RSS grew ${(result.rssGrowthBytes / MiB).toFixed(1)} MiB; server wrote ${((flooded?.bytes ?? 0) / MiB).toFixed(1)} MiB before the client hung up`,
    );
  });

  it('a 256 MB message streamed by retr() arrives whole with RSS growth under 64 MB', async () => {
    const total = 256 * MiB;
    const filler = Buffer.from(`${'m'.repeat(78)}\r\n`.repeat(820));
    const { port } = await floodingServer('RETR 1', filler, total);
    const result = await runClient(port, 'retr');
    const expected = Math.ceil(total / filler.length) * filler.length;
    expect(result).toMatchObject({ event: 'done', bytes: expected });
    expect(result.rssGrowthBytes).toBeLessThan(GROWTH_BOUND);
    console.info(
      `streamed RETR of ${(expected / MiB).toFixed(0)} MiB: client RSS grew ${(result.rssGrowthBytes / MiB).toFixed(1)} MiB`,
    );
  });
});
