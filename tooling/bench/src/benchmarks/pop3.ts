/**
 * POP3S download of a big mailbox: our Pop3Client (pipelined retrMany) against the least a pipelined
 * reader does (raw-pop3.ts) and against node-pop3; byte-exactness checked against the stored bytes.
 */
import { createHash } from 'node:crypto';
import type { Pop3Client } from '@kalisto/protocol-pop3';
import type { BenchContext, Benchmark } from '../context.js';
import { compare, type ResultRow, timeMs } from '../harness.js';
import { messageFromContract, NodePop3Reader } from '../node-pop3-reader.js';
import { type RawPop3Options, RawPop3Reader } from '../raw-pop3.js';
import { benchKalisto, sandboxToken } from '../sandbox-clients.js';

const MESSAGES = 2_000;
const SIZE = 35_000;
const WINDOW = 32;
const TARGET = { maxRatio: 1 / 0.8, text: '≥0.8× raw throughput (time ≤1.25×)' };

const CONNECTS_PER_ROUND = 5;

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

function exactCount(bodies: Iterable<[number, Buffer]>, digests: readonly string[]): number {
  let exact = 0;
  for (const [number, body] of bodies) if (sha256(body) === digests[number - 1]) exact++;
  return exact;
}

async function pop3Download(
  context: BenchContext,
  benchmark: string,
  seed: 'seed' | 'seedDots',
): Promise<ResultRow[]> {
  const sandbox = await context.sandbox();
  await sandbox.request({ op: seed, mailbox: sandbox.user, count: MESSAGES, size: SIZE });
  const [digests, stats] = await Promise.all([
    sandbox.request<string[]>({ op: 'digests', mailbox: sandbox.user }),
    sandbox.request<{ count: number; bytes: number }>({ op: 'inboxStats', mailbox: sandbox.user }),
  ]);
  const options: RawPop3Options = {
    ...sandbox.endpoints.pop3s,
    ca: sandbox.ca,
    user: sandbox.user,
    accessToken: await sandboxToken(sandbox),
  };
  const kalisto = benchKalisto();
  const session = kalisto.session(sandbox.properties);
  const numbers = Array.from({ length: MESSAGES }, (_, i) => i + 1);
  // The first (warm-up) round of each side keeps its bodies for the byte-exactness check.
  const kept = {
    ours: undefined as Map<number, Buffer> | undefined,
    raw: undefined as Map<number, Buffer> | undefined,
    nodePop3: undefined as Map<number, string> | undefined,
  };
  let stalled = 0;
  try {
    const rows = await compare({
      benchmark,
      unit: 'ms',
      rounds: 5,
      target: TARGET,
      raw: {
        name: `raw pipelined reader (window ${WINDOW})`,
        async round() {
          const reader = await RawPop3Reader.open(options);
          const bodies = kept.raw === undefined ? new Map<number, Buffer>() : undefined;
          let n = 0;
          const ms = await timeMs(() =>
            reader.download(MESSAGES, WINDOW, (body) => void bodies?.set(++n, body)),
          );
          await reader.quit();
          kept.raw ??= bodies;
          return ms;
        },
      },
      contenders: [
        {
          name: `Pop3Client.retrMany (window ${WINDOW})`,
          async round() {
            const client = (await session.store('pop3s')) as Pop3Client;
            const bodies = kept.ours === undefined ? new Map<number, Buffer>() : undefined;
            const ms = await timeMs(async () => {
              for await (const message of client.retrMany(numbers, { window: WINDOW }))
                bodies?.set(message.number, message.data);
            });
            await client.quit();
            kept.ours ??= bodies;
            return ms;
          },
        },
        {
          name: 'node-pop3 RETR (lock-step)',
          info: true,
          async round() {
            const reader = await NodePop3Reader.open(options);
            const bodies = kept.nodePop3 === undefined ? new Map<number, string>() : undefined;
            const ms = await timeMs(async () => {
              stalled += await reader.download(MESSAGES, (n, body) => void bodies?.set(n, body));
            });
            await reader.quit();
            kept.nodePop3 ??= bodies;
            return ms;
          },
        },
      ],
    });
    const mbps = (ms: number) => `${(stats.bytes / 1e6 / (ms / 1e3)).toFixed(1)} MB/s`;
    const [raw, ours, nodePop3] = rows as [ResultRow, ResultRow, ResultRow];
    const oursExact = exactCount(kept.ours ?? [], digests);
    raw.note = `${mbps(raw.median)}; ${exactCount(kept.raw ?? [], digests)}/${MESSAGES} byte-exact (does not unstuff)`;
    ours.note = `${mbps(ours.median)}; ${oursExact}/${MESSAGES} byte-exact`;
    if (oursExact !== MESSAGES) ours.verdict = 'FAIL';
    const nodePop3Bodies = [...(kept.nodePop3 ?? [])];
    const asBytes = nodePop3Bodies.map(([n, body]): [number, Buffer] => [n, Buffer.from(body, 'utf8')]);
    const toContract = nodePop3Bodies.map(([n, body]): [number, Buffer] => [n, messageFromContract(body)]);
    nodePop3.note = `${mbps(nodePop3.median)}; ${exactCount(toContract, digests)}/${MESSAGES} as its README documents (dot-stuffed string, final CRLF dropped), ${exactCount(asBytes, digests)}/${MESSAGES} byte-exact as returned; ${stalled} RETR stalled > 3 s`;
    return rows;
  } finally {
    await kalisto.close();
  }
}

export const pop3Download2000: Benchmark = {
  name: 'pop3',
  title: `POP3S: ${MESSAGES} × ~${SIZE / 1000} KB messages, Pop3Client vs raw pipelined reader vs node-pop3`,
  run: (context) => pop3Download(context, `pop3s: ${MESSAGES} × ${SIZE / 1000} KB`, 'seed'),
};

export const pop3DotHeavy: Benchmark = {
  name: 'pop3-dots',
  title: `POP3S: ${MESSAGES} dot-heavy messages (half the lines dot-stuffed)`,
  run: (context) => pop3Download(context, `pop3s: ${MESSAGES} × ${SIZE / 1000} KB dot-heavy`, 'seedDots'),
};

export const pop3Connect: Benchmark = {
  name: 'pop3-connect',
  title: `POP3S: connect + XOAUTH2 login + QUIT (${CONNECTS_PER_ROUND} per round), session.store vs raw TLS`,
  async run(context) {
    const sandbox = await context.sandbox();
    const options: RawPop3Options = {
      ...sandbox.endpoints.pop3s,
      ca: sandbox.ca,
      user: sandbox.user,
      accessToken: await sandboxToken(sandbox),
    };
    const kalisto = benchKalisto();
    const session = kalisto.session(sandbox.properties);
    await session.tokens.getToken();
    const perConnect = async (connectOnce: () => Promise<void>) =>
      (await timeMs(async () => {
        for (let i = 0; i < CONNECTS_PER_ROUND; i++) await connectOnce();
      })) / CONNECTS_PER_ROUND;
    try {
      return await compare({
        benchmark: 'pop3s: connect + login + quit',
        unit: 'ms',
        rounds: 7,
        cpu: true,
        target: { maxRatio: 1.2, text: '≤1.2× raw' },
        raw: {
          name: 'tls.connect + AUTH XOAUTH2',
          round: () => perConnect(async () => (await RawPop3Reader.open(options)).quit()),
        },
        contenders: [
          {
            name: "session.store('pop3s')",
            round: () => perConnect(async () => ((await session.store('pop3s')) as Pop3Client).quit()),
          },
        ],
      });
    } finally {
      await kalisto.close();
    }
  },
};
