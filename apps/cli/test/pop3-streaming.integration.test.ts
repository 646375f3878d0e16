/**
 * `kalisto pop3 retr` and `pop3 download` stream each message: an 80 MB message costs the CLI
 * process less than 100 MiB more than a small one (its peak resident set, reported by the process
 * itself on exit; holding the message cost 170 to 630 MiB more), it arrives byte for byte, and a
 * download cut off mid-message leaves no file under the message's name.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, open, readdir, readFile, rm } from 'node:fs/promises';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliSandbox, runKalisto, startCliSandbox } from './helpers.js';

const MiB = 1024 * 1024;
const MESSAGE_BYTES = 80 * 1000 * 1000;
// Streaming costs a few MiB, but V8's young generation alone may grow by ~48 MiB under the churn.
const GROWTH_BOUND = 100 * MiB;
const cliDir = fileURLToPath(new URL('..', import.meta.url));
const reporter = fileURLToPath(new URL('./pop3-max-rss.mjs', import.meta.url));

let box: CliSandbox;
let adele: string;
/** A message of `size` bytes: 8-bit bytes, long and short lines, lines that need dot-stuffing. */
let big: Buffer;

function bigMessage(size: number): Buffer {
  const head = Buffer.from(
    'From: megan@contoso.example\r\nTo: adele@contoso.example\r\nSubject: Big one\r\nMessage-ID: <big@test>\r\n\r\n',
  );
  const lines = [
    '.a line that starts with a dot',
    '.',
    '..',
    `caf\xe9 cr\xe8me br\xfbl\xe9e ${'x'.repeat(900)}`,
    'plain text',
    'y'.repeat(76),
  ];
  const block = Buffer.from(`${lines.join('\r\n')}\r\n`, 'latin1');
  const body = Buffer.alloc(size - head.length - 2);
  for (let at = 0; at < body.length; at += block.length) block.copy(body, at);
  return Buffer.concat([head, body, Buffer.from('\r\n')]);
}

beforeAll(async () => {
  box = await startCliSandbox();
  adele = box.sandbox.fixtures.users.adele.upn;
  big = bigMessage(MESSAGE_BYTES);
  box.sandbox.store.deliver(
    [adele],
    Buffer.from('From: megan@contoso.example\r\nSubject: Small one\r\n\r\nHello.\r\n'),
  );
  box.sandbox.store.deliver([adele], big);
});

afterAll(async () => {
  await box?.stop();
});

interface Measured {
  code: number | null;
  stderr: string;
  /** The CLI process's peak resident set, bytes. */
  maxRss: number;
}

/** `kalisto ...args` from source with standard output into `outFile`, reporting its peak RSS. */
async function measured(args: readonly string[], outFile: string): Promise<Measured> {
  const rssFile = `${outFile}.rss`;
  const out = await open(outFile, 'w');
  try {
    const child = spawn(
      process.execPath,
      [
        '--conditions=dev-source',
        '--import',
        'tsx',
        '--import',
        reporter,
        'src/main.ts',
        ...box.config,
        ...args,
      ],
      {
        cwd: cliDir,
        env: { ...process.env, NO_COLOR: '1', KALISTO_CONFIG: undefined, KALISTO_TEST_MAX_RSS_FILE: rssFile },
        stdio: ['ignore', out.fd, 'pipe'],
      },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const [code] = (await once(child, 'close')) as [number | null];
    return { code, stderr, maxRss: Number(await readFile(rssFile, 'utf8')) };
  } finally {
    await out.close();
  }
}

let baseline: Promise<number> | undefined;

/** The peak RSS of `pop3 retr` of a small message: what the CLI costs without a large one. */
function baselineRss(): Promise<number> {
  baseline ??= (async () => {
    const small = (await messageNumbers()).find((m) => m.size < 10_000);
    const run = await measured(['pop3', 'retr', String(small?.number)], join(box.dir, 'small.out'));
    expect(run.code).toBe(0);
    return run.maxRss;
  })();
  return baseline;
}

async function messageNumbers(): Promise<{ number: number; uid: string; size: number }[]> {
  const run = await runKalisto([...box.config, 'pop3', 'list', '--json']);
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout).messages;
}

describe('kalisto pop3 streams messages', () => {
  it('retr of an 80 MB message: byte for byte on standard output, peak RSS under 100 MiB above a small one', async () => {
    const messages = await messageNumbers();
    const large = messages.find((m) => m.size === big.length);
    if (!large) throw new Error('the seeded message is not in the maildrop');
    const smallRss = await baselineRss();
    const bigFile = join(box.dir, 'big.out');
    const run = await measured(['pop3', 'retr', String(large.number)], bigFile);
    console.info(
      `pop3 retr: peak RSS ${(run.maxRss / MiB).toFixed(0)} MiB for 80 MB, ${(smallRss / MiB).toFixed(0)} MiB for a small message`,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.maxRss - smallRss).toBeLessThan(GROWTH_BOUND);
    const printed = await readFile(bigFile);
    expect(printed.length).toBe(big.length);
    expect(printed.equals(big)).toBe(true);
  });

  it('retr --json streams one valid JSON document with the source', async () => {
    const large = (await messageNumbers()).find((m) => m.size === big.length);
    const file = join(box.dir, 'big.json');
    const run = await measured(['pop3', 'retr', String(large?.number), '--json'], file);
    expect(run.code).toBe(0);
    const document = JSON.parse(await readFile(file, 'utf8'));
    expect(document.number).toBe(large?.number);
    expect(document.source).toBe(big.toString('utf8'));
    console.info(`pop3 retr --json: peak RSS ${(run.maxRss / MiB).toFixed(0)} MiB for 80 MB`);
    expect(run.maxRss - (await baselineRss())).toBeLessThan(GROWTH_BOUND);
  });

  it('download of the maildrop: every file byte for byte, no temporary file left, RSS bounded', async () => {
    const messages = await messageNumbers();
    const dir = join(box.dir, 'download');
    const run = await measured(['pop3', 'download', dir, '--json'], join(box.dir, 'download.json'));
    expect(run.code).toBe(0);
    const files = (await readdir(dir)).sort();
    expect(files).toEqual(messages.map((m) => `${m.uid}.eml`).sort());
    const large = messages.find((m) => m.size === big.length);
    expect((await readFile(join(dir, `${large?.uid}.eml`))).equals(big)).toBe(true);
    const stored = box.sandbox.store.mailbox(adele)?.folder('Inbox')?.messages ?? [];
    for (const [index, message] of messages.entries()) {
      expect(
        (await readFile(join(dir, `${message.uid}.eml`))).equals(stored[index]?.raw ?? Buffer.alloc(0)),
      ).toBe(true);
    }
    console.info(
      `pop3 download: peak RSS ${(run.maxRss / MiB).toFixed(0)} MiB for ${messages.length} messages`,
    );
    expect(run.maxRss - (await baselineRss())).toBeLessThan(GROWTH_BOUND);
  });
});

describe('kalisto pop3 download, interrupted', () => {
  /** A POP3 server that serves two messages, the second cut off mid-body when `cut` is set. */
  async function twoMessageServer(cut: { value: boolean }) {
    const first = Buffer.from('Subject: one\r\n\r\nfirst body\r\n');
    const second = Buffer.from(`Subject: two\r\n\r\n${'second body line\r\n'.repeat(20_000)}`);
    const sockets = new Set<Socket>();
    const server: Server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
      socket.write('+OK ready\r\n');
      let pending = '';
      socket.on('data', (chunk: Buffer) => {
        pending += chunk.toString('latin1');
        for (let end = pending.indexOf('\r\n'); end >= 0; end = pending.indexOf('\r\n')) {
          const line = pending.slice(0, end);
          pending = pending.slice(end + 2);
          if (line === 'CAPA') socket.write('+OK\r\nUIDL\r\nSASL XOAUTH2\r\n.\r\n');
          else if (line === 'AUTH XOAUTH2') socket.write('+ \r\n');
          else if (line === 'UIDL') socket.write('+OK\r\n1 uid-one\r\n2 uid-two\r\n.\r\n');
          else if (line === 'LIST') socket.write(`+OK\r\n1 ${first.length}\r\n2 ${second.length}\r\n.\r\n`);
          else if (line === 'RETR 1')
            socket.write(Buffer.concat([Buffer.from('+OK\r\n'), first, Buffer.from('.\r\n')]));
          else if (line === 'RETR 2' && cut.value) {
            socket.write(Buffer.concat([Buffer.from('+OK\r\n'), second.subarray(0, second.length / 2)]));
            socket.destroy();
          } else if (line === 'RETR 2') {
            socket.write(Buffer.concat([Buffer.from('+OK\r\n'), second, Buffer.from('.\r\n')]));
          } else socket.write('+OK\r\n');
        }
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return {
      port: (server.address() as AddressInfo).port,
      first,
      second,
      close: () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy();
          server.close(() => resolve());
        }),
    };
  }

  it('leaves no file under the message name (and no temporary one); the next run fetches only what is missing', async () => {
    const cut = { value: true };
    const server = await twoMessageServer(cut);
    const dir = join(box.dir, 'interrupted');
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir);
    const plainPop3 = [
      '-D',
      'mail.pop3.host=127.0.0.1',
      '-D',
      `mail.pop3.port=${server.port}`,
      '-D',
      'mail.pop3.ssl.enable=false',
      '-D',
      'mail.pop3.starttls.required=false',
      '-D',
      'kalisto.auth.allowInsecure=true',
    ];
    const download = () =>
      runKalisto([...box.config, ...plainPop3, 'pop3', '--protocol', 'pop3', 'download', dir, '--json']);
    try {
      const broken = await download();
      expect(broken.code).toBe(4);
      expect(JSON.parse(broken.stdout)).toMatchObject({
        ok: false,
        error: { code: 'POP3_CONNECTION_CLOSED' },
      });
      expect(await readdir(dir)).toEqual(['uid-one.eml']);
      expect((await readFile(join(dir, 'uid-one.eml'))).equals(server.first)).toBe(true);

      cut.value = false;
      const resumed = await download();
      expect(resumed.code).toBe(0);
      expect(JSON.parse(resumed.stdout)).toMatchObject({ downloaded: 1, skipped: 1 });
      expect((await readdir(dir)).sort()).toEqual(['uid-one.eml', 'uid-two.eml']);
      expect((await readFile(join(dir, 'uid-two.eml'))).equals(server.second)).toBe(true);
    } finally {
      await server.close();
    }
  });
});
