/**
 * Real Dovecot (tooling/interop-servers): POP3S and IMAPS downloads of 2,000 × ~35 KB messages by
 * Kalisto's public session API, by the raw library (or the least a pipelined reader does) and by
 * Python's poplib/imaplib as a peer. Byte-exactness by SHA-256 against the files written.
 */
import type { Pop3Client } from '@kalisto/protocol-pop3';
import { ImapFlow } from 'imapflow';
import type { BenchContext, Benchmark } from '../context.js';
import { type Contender, compare, timeMs } from '../harness.js';
import { startPythonPeer } from '../python-peer.js';
import { RawPop3Reader } from '../raw-pop3.js';
import { exactCount, fillMailbox, REAL_MESSAGES, REAL_SIZE, sha256 } from '../real-mailbox.js';
import { benchKalisto } from '../sandbox-clients.js';

const RAW_WINDOW = 32;
const ROUNDS = 7;

/** Digests of the first (warm-up) round of each contender, for the byte-exactness notes. */
class FirstRound {
  readonly #digests = new Map<string, string[]>();
  /** Whether `name` still has to record its digests (true in its first round only). */
  wanted(name: string): boolean {
    return !this.#digests.has(name);
  }
  record(name: string, digests: string[]): void {
    if (!this.#digests.has(name)) this.#digests.set(name, digests);
  }
  exact(name: string, expected: readonly string[]): string {
    return `${exactCount(expected, this.#digests.get(name) ?? [])}/${expected.length} byte-exact`;
  }
}

/** The POP3 download row: the reader's mailbox, or with `dots` another one of dot-heavy messages. */
async function dovecotPop3Row(context: BenchContext, dots: boolean) {
  const sandbox = await context.sandbox();
  const servers = await context.interop();
  const account = dots ? servers.fixtures.dotsReader : servers.fixtures.reader;
  const user = account.upn;
  const { digests, bytes } = await fillMailbox(servers, sandbox, user, dots);
  const options = {
    host: '127.0.0.1',
    port: servers.dovecot.pop3s,
    ca: sandbox.ca,
    user,
    accessToken: await servers.token(user),
  };
  const kalisto = benchKalisto();
  const session = kalisto.session(servers.properties('pop3s', servers.dovecot.pop3s, true, {}, account));
  const numbers = Array.from({ length: REAL_MESSAGES }, (_, i) => i + 1);
  const first = new FirstRound();
  const python = startPythonPeer();
  const names = {
    raw: `raw pipelined reader (window ${RAW_WINDOW})`,
    ours: 'Pop3Client.retrMany (default window)',
    python: `Python poplib (${python?.version ?? 'absent'}, lock-step)`,
  };
  const peers: Contender[] =
    python === undefined
      ? []
      : [
          {
            name: names.python,
            info: true,
            external: true,
            async round() {
              const answer = await python.request<{ ms: number; digests: string[] | null }>({
                op: 'pop3',
                ...options,
                token: options.accessToken,
                count: REAL_MESSAGES,
                digests: first.wanted(names.python),
              });
              if (answer.digests) first.record(names.python, answer.digests);
              return answer.ms;
            },
          },
        ];
  try {
    await session.tokens.getToken();
    const rows = await compare({
      benchmark: `dovecot pop3s: ${REAL_MESSAGES} × ${REAL_SIZE / 1000} KB${dots ? ' dot-heavy' : ''}`,
      unit: 'ms',
      rounds: ROUNDS,
      cpu: true,
      target: { maxRatio: 1 / 0.9, text: '≥0.9× raw throughput (time ≤1.11×), byte-exact' },
      raw: {
        name: names.raw,
        async round() {
          const reader = await RawPop3Reader.open(options);
          const received: string[] | undefined = first.wanted(names.raw) ? [] : undefined;
          const ms = await timeMs(() =>
            reader.download(REAL_MESSAGES, RAW_WINDOW, (body) => void received?.push(sha256(body))),
          );
          await reader.quit();
          if (received) first.record(names.raw, received);
          return ms;
        },
      },
      contenders: [
        {
          name: names.ours,
          async round() {
            const client = (await session.store('pop3s')) as Pop3Client;
            const received: string[] | undefined = first.wanted(names.ours) ? [] : undefined;
            const ms = await timeMs(async () => {
              for await (const message of client.retrMany(numbers)) received?.push(sha256(message.data));
            });
            await client.quit();
            if (received) first.record(names.ours, received);
            return ms;
          },
        },
        ...peers,
      ],
    });
    const mbps = (ms: number) => `${(bytes / 1e6 / (ms / 1e3)).toFixed(1)} MB/s`;
    for (const row of rows) {
      if (row.unit !== 'ms') continue;
      const exact = first.exact(row.contender, digests);
      row.note = `${mbps(row.median)}; ${exact}${row.contender === names.raw ? ' (does not unstuff)' : ''}`;
      if (row.contender === names.ours && !exact.startsWith(`${REAL_MESSAGES}/`)) row.verdict = 'FAIL';
    }
    return rows;
  } finally {
    await python?.stop();
    await kalisto.close();
  }
}

export const dovecotPop3: Benchmark = {
  name: 'dovecot-pop3',
  title: `Dovecot POP3S: ${REAL_MESSAGES} × ~${REAL_SIZE / 1000} KB, retrMany vs raw pipelined reader vs poplib`,
  run: (context) => dovecotPop3Row(context, false),
};

export const dovecotPop3Dots: Benchmark = {
  name: 'dovecot-pop3-dots',
  title: `Dovecot POP3S: ${REAL_MESSAGES} dot-heavy messages (half the lines dot-stuffed), same contenders`,
  run: (context) => dovecotPop3Row(context, true),
};

/** Fetches every message's source in INBOX; returns their digests when asked. */
async function fetchSources(client: ImapFlow, digests: string[] | undefined): Promise<void> {
  const lock = await client.getMailboxLock('INBOX');
  try {
    for await (const message of client.fetch('1:*', { source: true }))
      if (digests && message.source) digests.push(sha256(message.source));
  } finally {
    lock.release();
  }
}

export const dovecotImap: Benchmark = {
  name: 'dovecot-imap',
  title: `Dovecot IMAPS: full sources of ${REAL_MESSAGES} × ~${REAL_SIZE / 1000} KB, session.store vs raw ImapFlow vs imaplib`,
  async run(context) {
    const sandbox = await context.sandbox();
    const servers = await context.interop();
    const user = servers.fixtures.reader.upn;
    const { digests, bytes } = await fillMailbox(servers, sandbox, user);
    const accessToken = await servers.token(user);
    const kalisto = benchKalisto();
    const session = kalisto.session(servers.properties('imaps', servers.dovecot.imaps, true));
    const raw = new ImapFlow({
      host: '127.0.0.1',
      port: servers.dovecot.imaps,
      secure: true,
      auth: { user, accessToken },
      tls: { ca: [sandbox.ca] },
      logger: false,
    });
    raw.on('error', () => {});
    const first = new FirstRound();
    const python = startPythonPeer();
    const names = {
      raw: 'ImapFlow fetch 1:* source',
      ours: "session.store('imaps') fetch 1:* source",
      python: `Python imaplib (${python?.version ?? 'absent'}), FETCH 1:* BODY.PEEK[]`,
    };
    const peers: Contender[] =
      python === undefined
        ? []
        : [
            {
              name: names.python,
              info: true,
              external: true,
              async round() {
                const answer = await python.request<{ ms: number; digests: string[] | null }>({
                  op: 'imap',
                  host: '127.0.0.1',
                  port: servers.dovecot.imaps,
                  ca: sandbox.ca,
                  user,
                  token: accessToken,
                  digests: first.wanted(names.python),
                });
                if (answer.digests) first.record(names.python, answer.digests);
                return answer.ms;
              },
            },
          ];
    /** One contender fetching over a connection that stays logged in across rounds. */
    const fetcher = (name: string, client: () => ImapFlow): Contender => ({
      name,
      async round() {
        const received: string[] | undefined = first.wanted(name) ? [] : undefined;
        const ms = await timeMs(() => fetchSources(client(), received));
        if (received) first.record(name, received);
        return ms;
      },
    });
    try {
      await raw.connect();
      const ours = (await session.store('imaps')) as ImapFlow;
      const rows = await compare({
        benchmark: `dovecot imaps: fetch ${REAL_MESSAGES} × ${REAL_SIZE / 1000} KB`,
        unit: 'ms',
        rounds: ROUNDS,
        cpu: true,
        target: { maxRatio: 1.03, text: '≤3% overhead' },
        raw: fetcher(names.raw, () => raw),
        contenders: [fetcher(names.ours, () => ours), ...peers],
      });
      const mbps = (ms: number) => `${(bytes / 1e6 / (ms / 1e3)).toFixed(1)} MB/s`;
      for (const row of rows)
        if (row.unit === 'ms') row.note = `${mbps(row.median)}; ${first.exact(row.contender, digests)}`;
      return rows;
    } finally {
      await python?.stop();
      await raw.logout().catch(() => {});
      await kalisto.close();
    }
  },
};
