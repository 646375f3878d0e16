/**
 * Microsoft Graph against SMTP and IMAP on the same sandbox, all through Kalisto, each beside its raw
 * library: 200 sends (graph vs a pooled smtp transport) and the MIME source of 200 messages (graph's
 * `$value` vs one imaps FETCH). The raw Graph side (`raw-graph.ts`) is what the HTTP round trips
 * require; the sandbox's Graph request counters show what the graph provider sent.
 */
import { createHash } from 'node:crypto';
import type { GraphMailbox } from '@kalisto/protocol-graph';
import { ImapFlow } from 'imapflow';
import { createTransport, type Transporter } from 'nodemailer';
import type { Benchmark } from '../context.js';
import { compare, pairedRatio, type ResultRow, timeMs } from '../harness.js';
import { inFlight, RawGraphClient } from '../raw-graph.js';
import {
  benchKalisto,
  benchMessage,
  GRAPH_SCOPE,
  identityRequests,
  sandboxToken,
} from '../sandbox-clients.js';
import type { SandboxProcess } from '../sandbox-process.js';

const MESSAGES = 200;
const SIZE = 35_000;
/** Exchange Online's SMTP limit: 3 connections per mailbox (a 4th gets 432 4.3.2). */
const SMTP_POOL = { maxConnections: 3, maxMessages: 100 };
/** Exchange Online's Graph limit (MailboxConcurrency): 4 requests in flight per app and mailbox. */
const GRAPH_IN_FLIGHT = 4;
const ROUNDS = 7;
/** One warm-up round per contender (the harness's default). */
const WARMUP = 1;

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

type GraphCounts = Record<string, number>;

async function graphCounts(sandbox: SandboxProcess): Promise<GraphCounts> {
  return sandbox.request<GraphCounts>({ op: 'graphRequestCounts' });
}

/** `ratio to raw undici` for the note of the Kalisto graph row. */
function versusRawGraph(rows: readonly ResultRow[], ours: ResultRow, rawName: string): string {
  const raw = rows.find((r) => r.contender === rawName);
  if (raw?.samples === undefined || ours.samples === undefined) return '';
  const { ratio, range } = pairedRatio(ours.samples, raw.samples);
  return `${ratio.toFixed(2)}× (${range[0].toFixed(2)}–${range[1].toFixed(2)}) raw undici`;
}

export const graphSend: Benchmark = {
  name: 'graph-send',
  title: `Graph vs SMTP: ${MESSAGES} sends, session.transport('graph') vs session.transport('smtp') pool (and raw)`,
  async run(context) {
    const sandbox = await context.sandbox();
    const [outlookToken, graphToken] = await Promise.all([
      sandboxToken(sandbox),
      sandboxToken(sandbox, GRAPH_SCOPE),
    ]);
    const rawSmtp = createTransport({
      ...sandbox.endpoints.smtp,
      secure: false,
      requireTLS: true,
      pool: true,
      ...SMTP_POOL,
      auth: { type: 'OAuth2', user: sandbox.user, accessToken: outlookToken },
      tls: { ca: [sandbox.ca] },
    });
    const rawGraph = new RawGraphClient(sandbox, graphToken);
    // nodemailer composes the raw side's MIME through its own pipeline, as the graph transport does.
    const composer = createTransport({ streamTransport: true, buffer: true });
    const composed = async (i: number) =>
      (await composer.sendMail(benchMessage(sandbox, i))).message as Buffer;
    const kalisto = benchKalisto();
    // One session for both protocols: its Outlook and Graph tokens are cached side by side.
    const session = kalisto.session({
      ...sandbox.properties,
      'mail.smtp.pool.enable': 'true',
      'mail.smtp.pool.maxConnections': String(SMTP_POOL.maxConnections),
      'mail.smtp.pool.maxMessages': String(SMTP_POOL.maxMessages),
    });
    const smtpBurst = (transport: Pick<Transporter, 'sendMail'>) =>
      timeMs(() =>
        Promise.all(Array.from({ length: MESSAGES }, (_, i) => transport.sendMail(benchMessage(sandbox, i)))),
      );
    let draftSends = 0;
    try {
      const oursSmtp = (await session.transport('smtp')) as Transporter;
      // From here on the identity platform sees only what the graph transport asks for.
      await sandbox.request({ op: 'resetRequestCounts' });
      await sandbox.request({ op: 'resetGraphRequestCounts' });
      const oursGraph = await session.transport('graph');
      const names = {
        rawGraph: `nodemailer stream + undici POST sendMail (${GRAPH_IN_FLIGHT} in flight)`,
        oursSmtp: "session.transport('smtp') pool",
      };
      const rows = await compare({
        benchmark: `graph vs smtp: ${MESSAGES} sends`,
        unit: 'ms',
        rounds: ROUNDS,
        warmup: WARMUP,
        cpu: true,
        raw: {
          name: `nodemailer pool (${SMTP_POOL.maxConnections} connections)`,
          round: () => smtpBurst(rawSmtp),
        },
        contenders: [
          { name: names.oursSmtp, round: () => smtpBurst(oursSmtp) },
          {
            name: names.rawGraph,
            round: () =>
              timeMs(() =>
                inFlight(GRAPH_IN_FLIGHT, MESSAGES, async (i) => rawGraph.sendMime(await composed(i))),
              ),
          },
          {
            name: `session.transport('graph') (${GRAPH_IN_FLIGHT} in flight)`,
            baseline: names.oursSmtp,
            round: () =>
              timeMs(() =>
                inFlight(GRAPH_IN_FLIGHT, MESSAGES, async (i) => {
                  const info = await oursGraph.sendMail(benchMessage(sandbox, i));
                  if (info.method !== 'sendMail') draftSends++;
                }),
              ),
          },
        ],
      });
      // The raw side makes exactly one sendMail request per message (one call each, no retries), so
      // the rest of the count is the graph transport's.
      const sent = (WARMUP + ROUNDS) * MESSAGES;
      const counts = await graphCounts(sandbox);
      const oursRequests = (counts.sendMail ?? 0) - sent;
      const tokenRequests = await identityRequests(sandbox);
      const ok = oursRequests === sent && draftSends === 0 && tokenRequests === 1;
      for (const row of rows.filter((r) => r.contender.startsWith("session.transport('graph')"))) {
        const timeRow = !row.benchmark.endsWith('(client CPU)');
        row.note = [
          versusRawGraph(
            rows.filter((r) => r.benchmark === row.benchmark),
            row,
            names.rawGraph,
          ),
          timeRow
            ? `sendMail requests: ${oursRequests} for ${sent} messages; token requests: ${tokenRequests}`
            : '',
        ]
          .filter(Boolean)
          .join('; ');
        if (timeRow) {
          row.target = '1 sendMail per message, 1 token';
          row.verdict = ok ? 'pass' : 'FAIL';
        }
      }
      return rows;
    } finally {
      rawSmtp.close();
      await rawGraph.close();
      await kalisto.close();
      await sandbox.request({ op: 'clear', mailbox: sandbox.otherUser });
    }
  },
};

/** Every message's source in INBOX over IMAP (one FETCH); resolves with the digests, in order. */
async function imapSources(client: ImapFlow): Promise<string[]> {
  const lock = await client.getMailboxLock('INBOX');
  const digests: string[] = [];
  try {
    for await (const message of client.fetch('1:*', { source: true }))
      if (message.source) digests.push(sha256(message.source));
  } finally {
    lock.release();
  }
  return digests;
}

/** Every Inbox message's source through the graph store: one listing, then `$value`s `GRAPH_IN_FLIGHT` at a time. */
async function graphSources(mailbox: GraphMailbox): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of mailbox.messages('inbox', { pageSize: MESSAGES, select: ['id'] }))
    ids.push(...page.map((m) => m.id));
  return inFlight(GRAPH_IN_FLIGHT, ids.length, async (i) => sha256(await mailbox.source(ids[i] as string)));
}

/** How many of `got` are stored messages, byte for byte (any order: IMAP lists oldest first, Graph newest first). */
function exactCount(got: readonly string[], stored: readonly string[]): number {
  const left = new Map<string, number>();
  for (const digest of stored) left.set(digest, (left.get(digest) ?? 0) + 1);
  let exact = 0;
  for (const digest of got) {
    const n = left.get(digest) ?? 0;
    if (n > 0) {
      left.set(digest, n - 1);
      exact++;
    }
  }
  return exact;
}

export const graphFetch: Benchmark = {
  name: 'graph-fetch',
  title: `Graph vs IMAPS: the MIME source of ${MESSAGES} × ~${SIZE / 1000} KB messages, $value vs one FETCH`,
  async run(context) {
    const sandbox = await context.sandbox();
    await sandbox.request({ op: 'seed', mailbox: sandbox.user, count: MESSAGES, size: SIZE });
    const stored = await sandbox.request<string[]>({ op: 'digests', mailbox: sandbox.user });
    const [outlookToken, graphToken] = await Promise.all([
      sandboxToken(sandbox),
      sandboxToken(sandbox, GRAPH_SCOPE),
    ]);
    const rawImap = new ImapFlow({
      ...sandbox.endpoints.imaps,
      secure: true,
      auth: { user: sandbox.user, accessToken: outlookToken },
      tls: { ca: [sandbox.ca] },
      logger: false,
    });
    rawImap.on('error', () => {});
    const rawGraph = new RawGraphClient(sandbox, graphToken);
    const kalisto = benchKalisto();
    const session = kalisto.session(sandbox.properties);
    // Every side's digests of its first (warm-up) round, checked against the stored bytes.
    const exact = new Map<string, number>();
    const keep = async (name: string, read: () => Promise<string[]>) => {
      let digests: string[] = [];
      const ms = await timeMs(async () => {
        digests = await read();
      });
      if (!exact.has(name)) exact.set(name, exactCount(digests, stored));
      return ms;
    };
    try {
      await rawImap.connect();
      const oursImap = (await session.store('imaps')) as ImapFlow;
      await sandbox.request({ op: 'resetRequestCounts' });
      await sandbox.request({ op: 'resetGraphRequestCounts' });
      const oursGraph = await session.store('graph');
      const names = {
        rawImap: 'ImapFlow fetch (one FETCH)',
        oursImap: "session.store('imaps') fetch",
        rawGraph: `undici list + $value (${GRAPH_IN_FLIGHT} in flight)`,
        oursGraph: `session.store('graph') source (${GRAPH_IN_FLIGHT} in flight)`,
      };
      const rows = await compare({
        benchmark: `graph vs imaps: fetch ${MESSAGES} × ${SIZE / 1000} KB`,
        unit: 'ms',
        rounds: ROUNDS,
        warmup: WARMUP,
        cpu: true,
        raw: { name: names.rawImap, round: () => keep(names.rawImap, () => imapSources(rawImap)) },
        contenders: [
          { name: names.oursImap, round: () => keep(names.oursImap, () => imapSources(oursImap)) },
          {
            name: names.rawGraph,
            round: () =>
              keep(names.rawGraph, async () => {
                const ids = await rawGraph.inboxIds(MESSAGES);
                return inFlight(GRAPH_IN_FLIGHT, ids.length, async (i) =>
                  sha256(await rawGraph.source(ids[i] as string)),
                );
              }),
          },
          {
            name: names.oursGraph,
            baseline: names.oursImap,
            round: () => keep(names.oursGraph, () => graphSources(oursGraph)),
          },
        ],
      });
      // The raw side makes one listing and one $value per message each round; the rest is the store's.
      const roundsRun = WARMUP + ROUNDS;
      const counts = await graphCounts(sandbox);
      const valueRequests = (counts.getMime ?? 0) - roundsRun * MESSAGES;
      const listRequests = (counts.listMessages ?? 0) - roundsRun;
      const tokenRequests = await identityRequests(sandbox);
      const ok =
        valueRequests === roundsRun * MESSAGES &&
        listRequests === roundsRun &&
        tokenRequests === 1 &&
        exact.get(names.oursGraph) === MESSAGES;
      for (const row of rows) {
        const timeRow = !row.benchmark.endsWith('(client CPU)');
        const parts: string[] = [];
        if (row.contender === names.oursGraph) {
          parts.push(
            versusRawGraph(
              rows.filter((r) => r.benchmark === row.benchmark),
              row,
              names.rawGraph,
            ),
          );
          if (timeRow) {
            parts.push(
              `$value requests: ${valueRequests} for ${roundsRun * MESSAGES} messages, listings: ${listRequests} for ${roundsRun} rounds; token requests: ${tokenRequests}`,
            );
            row.target = '1 $value per message, 1 token';
            row.verdict = ok ? 'pass' : 'FAIL';
          }
        }
        if (timeRow) parts.push(`${exact.get(row.contender) ?? 0}/${MESSAGES} byte-exact`);
        row.note = parts.filter(Boolean).join('; ');
      }
      return rows;
    } finally {
      await rawImap.logout().catch(() => {});
      await rawGraph.close();
      await kalisto.close();
    }
  },
};
