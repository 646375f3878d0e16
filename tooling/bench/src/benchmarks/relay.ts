/**
 * @kalisto/relay against going straight to the upstream server (the sandbox): SMTP through the relay
 * (synchronous, and the spool queue) vs nodemailer to the sandbox; IMAP full-body fetch through the
 * relay vs ImapFlow to the sandbox, with the latency a relay hop adds to one command; and the memory
 * of 1,000 idle IMAP connections through the relay. The relay runs in a process of its own.
 */
import { connect, type Socket } from 'node:net';
import { ImapFlow } from 'imapflow';
import { createTransport, type Transporter } from 'nodemailer';
import type { Benchmark } from '../context.js';
import { compare, median, pairedRow, type ResultRow, rawRow, timeMs } from '../harness.js';
import { startDelayForwarder } from '../relay-delay-forwarder.js';
import { RELAY_USER, type RelayProcess, relayProperties, startRelayProcess } from '../relay-process.js';
import { benchMessage, sandboxToken } from '../sandbox-clients.js';
import type { SandboxProcess } from '../sandbox-process.js';

const SMTP_MESSAGES = 200;
/** Both sides reach the sandbox with this pool: Exchange's 3 SMTP sessions per mailbox. */
const UPSTREAM_POOL = { maxConnections: 3, maxMessages: 100 };
/**
 * The devices' side of the relay: more sessions than upstream, as many devices share one mailbox's
 * 3 upstream sessions (with 3 client sessions each would wait for its upstream reply with the pool idle).
 */
const CLIENT_POOL = { maxConnections: 10, maxMessages: 100 };
const THROUGHPUT_TARGET = { maxRatio: 1.25, text: '≥0.8× direct throughput (time ≤1.25×)' };

/** The relay listener every benchmark uses: plain SMTP/IMAP on loopback, AUTH with the bench user. */
function listener(name: string, protocol: 'smtp' | 'imap'): Record<string, string> {
  const p = `kalisto.relay.listener.${name}.`;
  return {
    [`${p}protocol`]: protocol,
    [`${p}port`]: '0',
    [`${p}tls`]: 'none',
    [`${p}maxConnections`]: '5000',
  };
}

const upstreamPool = {
  'mail.smtp.pool.maxConnections': String(UPSTREAM_POOL.maxConnections),
  'mail.smtp.pool.maxMessages': String(UPSTREAM_POOL.maxMessages),
};

/** A nodemailer pool to a relay listener, logging in with the bench user. */
function relayClient(port: number): Transporter {
  return createTransport({
    host: '127.0.0.1',
    port,
    secure: false,
    ignoreTLS: true,
    pool: true,
    ...CLIENT_POOL,
    auth: { user: RELAY_USER.user, pass: RELAY_USER.password },
  });
}

async function inboxCount(sandbox: SandboxProcess): Promise<number> {
  return (await sandbox.request<{ count: number }>({ op: 'inboxStats', mailbox: sandbox.otherUser })).count;
}

/** Resolves once `count` more messages are in the other mailbox's Inbox than `before`. */
async function deliveredAtSandbox(sandbox: SandboxProcess, before: number, count: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  while ((await inboxCount(sandbox)) < before + count) {
    if (Date.now() > deadline) throw new Error('the relay did not deliver within 120 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Each way, for the rows with the sandbox as far away as a real mail server. */
const FAR_UPSTREAM_DELAY_MS = 5;

/** A nodemailer pool straight to the sandbox's SMTP server at `port` (XOAUTH2, STARTTLS). */
function directClient(sandbox: SandboxProcess, port: number, accessToken: string): Transporter {
  return createTransport({
    host: sandbox.endpoints.smtp.host,
    port,
    secure: false,
    requireTLS: true,
    pool: true,
    ...UPSTREAM_POOL,
    auth: { type: 'OAuth2', user: sandbox.user, accessToken },
    tls: { ca: [sandbox.ca] },
  });
}

/** CPU time (ms) each process spent in one round: this one (the client), the relay, the sandbox. */
interface RoundCpu {
  client: number;
  relay: number;
  sandbox: number;
}

async function cpuNow(sandbox: SandboxProcess, relay: RelayProcess | undefined): Promise<RoundCpu> {
  const { user, system } = process.cpuUsage();
  return {
    client: (user + system) / 1e3,
    relay: relay === undefined ? 0 : await relay.cpuMs(),
    sandbox: await sandbox.request<number>({ op: 'cpuMs' }),
  };
}

/**
 * `round`, also recording in `log` the CPU every process spent on it. On one machine the client,
 * the relay and the sandbox share the cores, so their sum is what bounds the loopback rows.
 */
function metered(
  sandbox: SandboxProcess,
  relay: RelayProcess | undefined,
  log: RoundCpu[],
  round: () => Promise<number>,
): () => Promise<number> {
  return async () => {
    const before = await cpuNow(sandbox, relay);
    const ms = await round();
    const after = await cpuNow(sandbox, relay);
    log.push({
      client: after.client - before.client,
      relay: after.relay - before.relay,
      sandbox: after.sandbox - before.sandbox,
    });
    return ms;
  };
}

const totalCpu = (cpu: RoundCpu) => cpu.client + cpu.relay + cpu.sandbox;

/** One info row per contender: the CPU of every process per message, paired with the direct side's. */
function cpuPerMessageRows(
  benchmark: string,
  [direct, ...relayed]: readonly { name: string; log: RoundCpu[] }[],
): ResultRow[] {
  if (direct === undefined) return [];
  const unit = 'ms CPU/message';
  const perMessage = (log: RoundCpu[]) => log.map((cpu) => totalCpu(cpu) / SMTP_MESSAGES);
  const note = (log: RoundCpu[]) => {
    const part = (key: keyof RoundCpu) => (median(log.map((cpu) => cpu[key])) / SMTP_MESSAGES).toFixed(2);
    return `client ${part('client')}, relay ${part('relay')}, sandbox ${part('sandbox')} ms/message`;
  };
  return [
    { ...rawRow(benchmark, direct.name, unit, perMessage(direct.log)), note: note(direct.log) },
    ...relayed.map(({ name, log }) => ({
      ...pairedRow(benchmark, name, unit, perMessage(log), perMessage(direct.log)),
      note: note(log),
    })),
  ];
}

export const relaySmtp: Benchmark = {
  name: 'relay-smtp',
  title: `SMTP through the relay (synchronous, spool): ${SMTP_MESSAGES} concurrent messages vs nodemailer to the sandbox`,
  async run(context) {
    const sandbox = await context.sandbox();
    const accessToken = await sandboxToken(sandbox);
    const far = await startDelayForwarder(sandbox.endpoints.smtp, FAR_UPSTREAM_DELAY_MS);
    const submit = { ...upstreamPool, ...listener('submit', 'smtp') };
    const spooled = (directory: string) => ({
      'kalisto.relay.queue': 'spool',
      'kalisto.relay.queue.path': `${context.tmpDir}/${directory}`,
      'kalisto.relay.queue.concurrency': String(UPSTREAM_POOL.maxConnections),
    });
    const farUpstream = { 'mail.smtp.port': String(far.port) };
    const relays = await Promise.all(
      [
        submit,
        { ...submit, ...spooled('relay-spool') },
        { ...submit, ...farUpstream },
        { ...submit, ...farUpstream, ...spooled('relay-spool-far') },
      ].map(async (properties) => startRelayProcess(await relayProperties(sandbox, properties))),
    );
    const [sync, spool, farSync, farSpool] = relays as [
      RelayProcess,
      RelayProcess,
      RelayProcess,
      RelayProcess,
    ];
    const transports = [
      directClient(sandbox, sandbox.endpoints.smtp.port, accessToken),
      relayClient(sync.ports.submit as number),
      relayClient(spool.ports.submit as number),
      directClient(sandbox, far.port, accessToken),
      relayClient(farSync.ports.submit as number),
      relayClient(farSpool.ports.submit as number),
    ] as const;
    const [direct, throughSync, throughSpool, farDirect, farThrough, farThroughSpool] = transports;
    const burst = (transport: Pick<Transporter, 'sendMail'>) =>
      Promise.all(
        Array.from({ length: SMTP_MESSAGES }, (_, i) => transport.sendMail(benchMessage(sandbox, i))),
      );
    /** Sends a burst into a spooling relay; records when the last 250 came; resolves once all arrived. */
    const spoolRound = (transport: Transporter, accepted: number[]) => async () => {
      const before = await inboxCount(sandbox);
      return timeMs(async () => {
        accepted.push(await timeMs(() => burst(transport)));
        await deliveredAtSandbox(sandbox, before, SMTP_MESSAGES);
      });
    };
    const directName = `nodemailer pool to the sandbox (${UPSTREAM_POOL.maxConnections} connections)`;
    const syncName = `through the relay, synchronous (clients: ${CLIENT_POOL.maxConnections} connections)`;
    const spoolName = 'through the relay, spool (until delivered)';
    const acceptedName = 'through the relay, spool (until every 250, after fsync)';
    const rounds = 9;
    const farRounds = 5;
    const cpu = { direct: [] as RoundCpu[], sync: [] as RoundCpu[], spool: [] as RoundCpu[] };
    const accepted: number[] = [];
    const farAccepted: number[] = [];
    try {
      const benchmark = `relay smtp: ${SMTP_MESSAGES} messages`;
      const rows = await compare({
        benchmark,
        unit: 'ms',
        rounds,
        cpu: true,
        target: THROUGHPUT_TARGET,
        raw: {
          name: directName,
          round: metered(sandbox, undefined, cpu.direct, () => timeMs(() => burst(direct))),
        },
        contenders: [
          { name: syncName, round: metered(sandbox, sync, cpu.sync, () => timeMs(() => burst(throughSync))) },
          { name: spoolName, round: metered(sandbox, spool, cpu.spool, spoolRound(throughSpool, accepted)) },
        ],
      });
      const [directRow] = rows as [ResultRow];
      rows.splice(
        3,
        0,
        pairedRow(
          benchmark,
          acceptedName,
          'ms',
          accepted.slice(-rounds),
          directRow.samples ?? [],
          THROUGHPUT_TARGET,
        ),
      );
      rows.push(
        ...cpuPerMessageRows(`${benchmark} (CPU of every process)`, [
          { name: directName, log: cpu.direct.slice(-rounds) },
          { name: syncName, log: cpu.sync.slice(-rounds) },
          { name: spoolName, log: cpu.spool.slice(-rounds) },
        ]),
      );
      const farBenchmark = `${benchmark}, sandbox ${2 * FAR_UPSTREAM_DELAY_MS} ms RTT away`;
      const farRows = await compare({
        benchmark: farBenchmark,
        unit: 'ms',
        rounds: farRounds,
        target: THROUGHPUT_TARGET,
        raw: { name: directName, round: () => timeMs(() => burst(farDirect)) },
        contenders: [
          { name: syncName, round: () => timeMs(() => burst(farThrough)) },
          { name: spoolName, round: spoolRound(farThroughSpool, farAccepted) },
        ],
      });
      farRows.push(
        pairedRow(
          farBenchmark,
          acceptedName,
          'ms',
          farAccepted.slice(-farRounds),
          farRows[0]?.samples ?? [],
          THROUGHPUT_TARGET,
        ),
      );
      return [...rows, ...farRows];
    } finally {
      for (const transport of transports) transport.close();
      await Promise.all(relays.map((relay) => relay.stop()));
      await far.close();
      await sandbox.request({ op: 'clear', mailbox: sandbox.otherUser });
    }
  },
};

const IMAP_MESSAGES = 1_000;
const IMAP_SIZE = 35_000;
const LATENCY_COMMANDS = 500;

/** Fetches every message's source in INBOX; resolves with the bytes read. */
async function fetchAll(client: ImapFlow): Promise<number> {
  const lock = await client.getMailboxLock('INBOX');
  let bytes = 0;
  try {
    for await (const message of client.fetch('1:*', { source: true })) bytes += message.source?.length ?? 0;
  } finally {
    lock.release();
  }
  return bytes;
}

function quiet(client: ImapFlow): ImapFlow {
  client.on('error', () => {});
  return client;
}

/** p-th percentile (0–100) of `values`, nearest rank. */
function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

/** `count` NOOPs one after another; each one's round trip in ms. */
async function noopLatencies(client: ImapFlow, count: number): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) latencies.push(await timeMs(() => client.noop()));
  return latencies;
}

export const relayImap: Benchmark = {
  name: 'relay-imap',
  title: `IMAP through the relay: fetch the source of ${IMAP_MESSAGES} × ~${IMAP_SIZE / 1000} KB vs ImapFlow to the sandbox; added latency per command`,
  async run(context) {
    const sandbox = await context.sandbox();
    await sandbox.request({ op: 'seed', mailbox: sandbox.user, count: IMAP_MESSAGES, size: IMAP_SIZE });
    const accessToken = await sandboxToken(sandbox);
    const relay = await startRelayProcess(await relayProperties(sandbox, listener('mail', 'imap')));
    const direct = quiet(
      new ImapFlow({
        ...sandbox.endpoints.imaps,
        secure: true,
        auth: { user: sandbox.user, accessToken },
        tls: { ca: [sandbox.ca] },
        logger: false,
      }),
    );
    const through = quiet(
      new ImapFlow({
        host: '127.0.0.1',
        port: relay.ports.mail as number,
        secure: false,
        doSTARTTLS: false,
        auth: { user: RELAY_USER.user, pass: RELAY_USER.password },
        logger: false,
      }),
    );
    try {
      await Promise.all([direct.connect(), through.connect()]);
      const rows: ResultRow[] = await compare({
        benchmark: `relay imap: fetch ${IMAP_MESSAGES} × ${IMAP_SIZE / 1000} KB`,
        unit: 'ms',
        rounds: 9,
        cpu: true,
        target: { maxRatio: 1 / 0.9, text: '≥0.9× direct throughput (time ≤1.11×)' },
        raw: { name: 'ImapFlow to the sandbox (imaps)', round: () => timeMs(() => fetchAll(direct)) },
        contenders: [{ name: 'ImapFlow through the relay', round: () => timeMs(() => fetchAll(through)) }],
      });
      // Latency: NOOPs one at a time, interleaved in blocks, so both sides see the same load.
      const directLatencies: number[] = [];
      const relayLatencies: number[] = [];
      for (let block = 0; block < 10; block++) {
        directLatencies.push(...(await noopLatencies(direct, LATENCY_COMMANDS / 10)));
        relayLatencies.push(...(await noopLatencies(through, LATENCY_COMMANDS / 10)));
      }
      const stat = (values: number[]) => ({ p50: percentile(values, 50), p99: percentile(values, 99) });
      const d = stat(directLatencies);
      const r = stat(relayLatencies);
      const note = (s: { p50: number; p99: number }) =>
        `p50 ${s.p50.toFixed(3)} ms, p99 ${s.p99.toFixed(3)} ms`;
      rows.push(
        {
          benchmark: `relay imap: one command (NOOP), ${LATENCY_COMMANDS} in sequence`,
          contender: 'ImapFlow to the sandbox (imaps)',
          median: median(directLatencies),
          unit: 'ms',
          spread: 0,
          verdict: 'info',
          note: note(d),
        },
        {
          benchmark: `relay imap: one command (NOOP), ${LATENCY_COMMANDS} in sequence`,
          contender: 'ImapFlow through the relay',
          median: median(relayLatencies),
          unit: 'ms',
          spread: 0,
          verdict: 'info',
          note: `${note(r)}; added p50 ${(r.p50 - d.p50).toFixed(3)} ms, p99 ${(r.p99 - d.p99).toFixed(3)} ms`,
        },
      );
      return rows;
    } finally {
      await Promise.all([direct.logout().catch(() => {}), through.logout().catch(() => {})]);
      await relay.stop();
    }
  },
};

const IDLE_CONNECTIONS = 1_000;
const IDLE_WARM_UP = 100;
const IDLE_TARGET_BYTES = 64 * 1024;

/** Opens a socket to the relay's IMAP listener and logs in; resolves with it, idle. */
function loggedIn(port: number, user: string, tag: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    let sent = false;
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (!sent && text.includes('\r\n')) {
        sent = true;
        socket.write(`${tag} LOGIN "${user}" "${RELAY_USER.password}"\r\n`);
      }
      if (text.includes(`${tag} OK`)) {
        socket.removeAllListeners('data');
        resolve(socket);
      } else if (text.includes(`${tag} NO`) || text.includes(`${tag} BAD`)) reject(new Error(text));
    });
  });
}

/** Logs `count` clients in, 100 at a time. */
async function openMany(port: number, count: number, prefix: string): Promise<Socket[]> {
  const sockets: Socket[] = [];
  for (let batch = 0; batch < count; batch += 100) {
    const size = Math.min(100, count - batch);
    sockets.push(
      ...(await Promise.all(
        Array.from({ length: size }, (_, i) => loggedIn(port, RELAY_USER.user, `${prefix}${batch + i}`)),
      )),
    );
  }
  return sockets;
}

export const relayIdle: Benchmark = {
  name: 'relay-idle',
  title: `IMAP through the relay: memory of ${IDLE_CONNECTIONS} idle logged-in connections (relay process RSS)`,
  async run(context) {
    const sandbox = await context.sandbox();
    const relay = await startRelayProcess(await relayProperties(sandbox, listener('mail', 'imap')));
    const sockets: Socket[] = [];
    try {
      // One login first: the token, and the relay's memory of the good credential (without it, 100
      // logins at once are 100 scrypt checks on libuv's 4 threads, and the token request waits behind them).
      sockets.push(await loggedIn(relay.ports.mail as number, RELAY_USER.user, 'first'));
      // The baseline already holds TLS contexts, MSAL, the token and the heap's first growth.
      sockets.push(...(await openMany(relay.ports.mail as number, IDLE_WARM_UP - 1, 'w')));
      const base = await relay.measure();
      sockets.push(...(await openMany(relay.ports.mail as number, IDLE_CONNECTIONS, 'a')));
      const idle = await relay.measure();
      if (idle.connections !== IDLE_WARM_UP + IDLE_CONNECTIONS)
        throw new Error(`the relay holds ${idle.connections} connections`);
      const perConnection = (idle.rss - base.rss) / IDLE_CONNECTIONS;
      const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
      return [
        {
          benchmark: `relay imap: ${IDLE_CONNECTIONS} idle connections`,
          contender: 'relay process RSS per connection',
          median: perConnection / 1024,
          unit: 'KiB/connection',
          spread: 0,
          target: `≤${IDLE_TARGET_BYTES / 1024} KiB/connection`,
          verdict: perConnection <= IDLE_TARGET_BYTES ? 'pass' : 'FAIL',
          note:
            `JS heap ${kib((idle.heapUsed - base.heapUsed) / IDLE_CONNECTIONS)}/connection; VmHWM +${kib((idle.peak - base.rss) / IDLE_CONNECTIONS)}/connection; ` +
            `relay RSS ${(base.rss / 2 ** 20).toFixed(0)} MiB with ${IDLE_WARM_UP}, ${(idle.rss / 2 ** 20).toFixed(0)} MiB with ${IDLE_WARM_UP + IDLE_CONNECTIONS}`,
        },
      ];
    } finally {
      for (const socket of sockets) socket.destroy();
      await relay.stop();
    }
  },
};
