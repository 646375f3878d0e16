/** IMAP over implicit TLS: session.store('imaps') against a raw ImapFlow logged in with the same token. */
import { ImapFlow } from 'imapflow';
import type { BenchContext, Benchmark } from '../context.js';
import { compare, timeMs } from '../harness.js';
import { benchKalisto, sandboxToken } from '../sandbox-clients.js';
import type { SandboxProcess } from '../sandbox-process.js';

const MESSAGES = 1_000;
const SIZE = 35_000;
const CONNECTS_PER_ROUND = 5;
const OVERHEAD_TARGET = { maxRatio: 1.03, text: '≤3% overhead' };

function rawImap(sandbox: SandboxProcess, accessToken: string): ImapFlow {
  const client = new ImapFlow({
    ...sandbox.endpoints.imaps,
    secure: true,
    auth: { user: sandbox.user, accessToken },
    tls: { ca: [sandbox.ca] },
    logger: false,
  });
  client.on('error', () => {});
  return client;
}

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

async function setUp(context: BenchContext) {
  const sandbox = await context.sandbox();
  await sandbox.request({ op: 'seed', mailbox: sandbox.user, count: MESSAGES, size: SIZE });
  const accessToken = await sandboxToken(sandbox);
  const kalisto = benchKalisto();
  const session = kalisto.session(sandbox.properties);
  await session.tokens.getToken();
  return { sandbox, accessToken, kalisto, session };
}

export const imapFetch: Benchmark = {
  name: 'imap',
  title: `IMAPS: fetch the source of ${MESSAGES} × ~${SIZE / 1000} KB messages, session.store vs raw ImapFlow`,
  async run(context) {
    const { sandbox, accessToken, kalisto, session } = await setUp(context);
    const raw = rawImap(sandbox, accessToken);
    try {
      await raw.connect();
      const ours = (await session.store('imaps')) as ImapFlow;
      return await compare({
        benchmark: `imaps: fetch ${MESSAGES} × ${SIZE / 1000} KB`,
        unit: 'ms',
        rounds: 9,
        target: OVERHEAD_TARGET,
        cpu: true,
        raw: { name: 'ImapFlow fetch', round: () => timeMs(() => fetchAll(raw)) },
        contenders: [{ name: "session.store('imaps') fetch", round: () => timeMs(() => fetchAll(ours)) }],
      });
    } finally {
      await raw.logout().catch(() => {});
      await kalisto.close();
    }
  },
};

export const imapConnect: Benchmark = {
  name: 'imap-connect',
  title: `IMAPS: connect + login + logout (${CONNECTS_PER_ROUND} per round), session.store vs raw ImapFlow`,
  async run(context) {
    const { sandbox, accessToken, kalisto, session } = await setUp(context);
    const perConnect = async (connectOnce: () => Promise<void>) => {
      const ms = await timeMs(async () => {
        for (let i = 0; i < CONNECTS_PER_ROUND; i++) await connectOnce();
      });
      return ms / CONNECTS_PER_ROUND;
    };
    try {
      return await compare({
        benchmark: 'imaps: connect + login + logout',
        unit: 'ms',
        rounds: 9,
        target: OVERHEAD_TARGET,
        cpu: true,
        raw: {
          name: 'new ImapFlow().connect()',
          round: () =>
            perConnect(async () => {
              const client = rawImap(sandbox, accessToken);
              await client.connect();
              await client.logout();
            }),
        },
        contenders: [
          {
            name: "session.store('imaps')",
            round: () =>
              perConnect(async () => {
                const client = (await session.store('imaps')) as ImapFlow;
                await client.logout();
              }),
          },
        ],
      });
    } finally {
      await kalisto.close();
    }
  },
};
