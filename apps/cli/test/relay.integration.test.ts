/**
 * `kalisto relay` as a child process against the sandbox: the service starts from a properties
 * file, relays swaks's mail, answers /healthz and stops on SIGTERM with exit 0; hash-password reads
 * from a pipe or a terminal (a real pty, no echo) and never from argv; `queue list|retry|drop`
 * administer a stopped relay's spool and a password-protected Redis queue without printing the URL;
 * two relays on one Redis token cache make one token request. No secret is ever printed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashRelayPassword, parsePasswordHash, verifyPasswordHash } from '@kalisto/relay';
import { FIXTURE } from '@kalisto/sandbox';
import { type RedisServer, startRedisServer } from '@kalisto/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CliRun,
  type CliSandbox,
  expectNoSecrets,
  flat,
  runKalisto,
  startCliSandbox,
} from './helpers.js';

const { adele, megan } = FIXTURE.users;
const RELAY_PASSWORD = 'Printer-Relay-Password-7!';

/** True when `text` is a relay hash of `password`. */
async function hashes(text: string, password: string): Promise<boolean> {
  const parsed = parsePasswordHash(text);
  return 'problem' in parsed ? false : verifyPasswordHash(password, parsed);
}
const cliDir = fileURLToPath(new URL('..', import.meta.url));

let box: CliSandbox;
let hash: string;
let secrets: string[];
let counter = 0;

beforeAll(async () => {
  box = await startCliSandbox();
  hash = await hashRelayPassword(RELAY_PASSWORD);
  secrets = [
    ...box.secrets,
    RELAY_PASSWORD,
    hash,
    Buffer.from(`\0printer\0${RELAY_PASSWORD}`).toString('base64'),
  ];
});

afterAll(async () => {
  await box?.stop();
});

/** A relay.properties: the sandbox's session properties, one loopback SMTP listener, `extra`. */
async function relayProperties(extra: Record<string, string> = {}): Promise<string> {
  const file = join(box.dir, `relay-${++counter}.properties`);
  const relay: Record<string, string> = {
    'kalisto.relay.listener.submit.protocol': 'smtp',
    'kalisto.relay.listener.submit.port': '0',
    'kalisto.relay.listener.submit.tls': 'none',
    'kalisto.relay.user.printer.password': hash,
    'kalisto.relay.user.printer.mailbox': adele,
    'kalisto.relay.admin.port': '0',
    ...extra,
  };
  const lines = Object.entries(relay).map(([name, value]) => `${name}=${value}`);
  await writeFile(file, `${box.sandbox.propertiesText}\n${lines.join('\n')}\n`);
  return file;
}

/** What `kalisto relay --json` prints once it listens. */
interface Started {
  pid: number;
  listeners: { name: string; port: number }[];
  admin: { host: string; port: number } | null;
}

interface RunningRelay {
  started: Started;
  port(listener?: string): number;
  /** Sends `signal` and resolves with the finished run. */
  stop(signal?: NodeJS.Signals): Promise<CliRun>;
  kill(): Promise<void>;
}

/** Starts `kalisto --json relay --config file`; resolves once it printed where it listens. */
function startRelay(file: string, env: Record<string, string> = {}): Promise<RunningRelay> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--conditions=dev-source', '--import', 'tsx', 'src/main.ts', '--json', 'relay', '--config', file],
    { cwd: cliDir, env: { ...process.env, NO_COLOR: '1', KALISTO_CONFIG: undefined, ...env } },
  );
  const run: CliRun = { code: null, stdout: '', stderr: '' };
  const exited = new Promise<CliRun>((resolve) => child.once('close', (code) => resolve({ ...run, code })));
  child.stderr?.on('data', (chunk: Buffer) => {
    run.stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      run.stdout += chunk.toString();
      let started: Started;
      try {
        started = JSON.parse(run.stdout) as Started;
      } catch {
        return; // not the whole document yet
      }
      resolve({
        started,
        port: (name = 'submit') => started.listeners.find((l) => l.name === name)?.port as number,
        stop: (signal = 'SIGTERM') => {
          child.kill(signal);
          return exited;
        },
        kill: async () => {
          child.kill('SIGKILL');
          await exited;
        },
      });
    });
    void exited.then((done) =>
      reject(new Error(`relay exited with ${done.code}: ${done.stderr.slice(-2000)}`)),
    );
  });
}

/** swaks through the relay's listener; resolves with its transcript. */
function swaks(port: number, to: string, subject: string): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('swaks', [
      ...['--server', `127.0.0.1:${port}`, '--auth', 'PLAIN', '--auth-user', 'printer'],
      ...['--auth-password', RELAY_PASSWORD, '--from', adele, '--to', to, '--header', `Subject: ${subject}`],
    ]);
    const run: CliRun = { code: null, stdout: '', stderr: '' };
    child.stdout.on('data', (chunk: Buffer) => {
      run.stdout += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ ...run, code }));
  });
}

/** The messages in `address`'s Inbox at the sandbox whose bytes contain `marker`. */
function delivered(address: string, marker: string): Buffer[] {
  const messages = box.sandbox.store.mailbox(address)?.folder('Inbox')?.messages ?? [];
  return messages.map((m) => m.raw).filter((raw) => raw.includes(marker));
}

/** Waits for `condition`, checked every 20 ms; fails only if it never holds (a hang). */
async function eventually(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 3000; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`never: ${what}`);
}

describe('kalisto relay (the service)', () => {
  it('listens, relays to the sandbox, answers /healthz, and stops on SIGTERM with exit 0', async () => {
    const relay = await startRelay(await relayProperties());
    const subject = `cli-relay-${Date.now()}`;
    const sent = await swaks(relay.port(), megan, subject);
    expect(sent.stdout).toMatch(/<- {2}250 2\.0\.0 Delivered upstream: 250/);
    expect(delivered(megan, subject)).toHaveLength(1);
    const admin = relay.started.admin as { host: string; port: number };
    const health = await fetch(`http://${admin.host}:${admin.port}/healthz`);
    expect(health.status).toBe(200);
    // /metrics: the relay's counts and its Kalisto's (one MeterProvider for both).
    const metrics = await (await fetch(`http://${admin.host}:${admin.port}/metrics`)).text();
    expect(metrics).toMatch(/^kalisto_relay_messages_total\{listener="[^"]+",outcome="delivered"\} 1$/m);
    expect(metrics).toMatch(/^kalisto_token_requests_total\{[^}]*kalisto_outcome="success"[^}]*\} 1$/m);

    const run = await relay.stop('SIGTERM');
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('SIGTERM: stopping');
    expect(run.stderr).toContain('Relay stopped.');
    expect(run.stderr).toContain('Message delivered upstream');
    expectNoSecrets(run, secrets);
  });

  it('SIGINT (Ctrl-C) stops it the same way', async () => {
    const relay = await startRelay(await relayProperties());
    const run = await relay.stop('SIGINT');
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('Relay stopped.');
  });

  it('a bad relay property is a configuration error: exit 2, the property named with a suggestion, no secret', async () => {
    const run = await runKalisto([
      'relay',
      '--config',
      await relayProperties({ 'kalisto.relay.lockout.atempts': '3' }),
    ]);
    expect(run.code).toBe(2);
    expect(flat(run.stderr)).toContain('kalisto.relay.lockout.atempts');
    expect(flat(run.stderr)).toContain('kalisto.relay.lockout.attempts');
    expectNoSecrets(run, secrets);
  });

  it('a plain password where the hash belongs: exit 2, and the password is not shown', async () => {
    const run = await runKalisto([
      'relay',
      '--config',
      await relayProperties({ 'kalisto.relay.user.printer.password': RELAY_PASSWORD }),
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('kalisto.relay.user.printer.password');
    expectNoSecrets(run, secrets);
  });

  it('without a configuration: exit 2 naming --config', async () => {
    const run = await runKalisto(['relay']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--config relay.properties');
  });
});

describe('kalisto relay hash-password', () => {
  it('hashes one line from standard input and prints only the hash', async () => {
    const run = await runKalisto(['relay', 'hash-password'], { stdin: `${RELAY_PASSWORD}\n` });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+\n$/);
    expect(await hashes(run.stdout.trim(), RELAY_PASSWORD)).toBe(true);
    expect(`${run.stdout}${run.stderr}`).not.toContain(RELAY_PASSWORD);
  });

  it('never takes the password as an argument (exit 2, not echoed)', async () => {
    const run = await runKalisto(['relay', 'hash-password', RELAY_PASSWORD]);
    expect(run.code).toBe(2);
    expect(`${run.stdout}${run.stderr}`).not.toContain(RELAY_PASSWORD);
  });

  it('an empty standard input is a usage error', async () => {
    const run = await runKalisto(['relay', 'hash-password'], { stdin: '' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('No password given');
  });

  /** Runs hash-password on a pseudo-terminal (python3's pty), typing `first` and `second` at the prompts. */
  function onTerminal(first: string, second: string): Promise<CliRun> {
    const script = `
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.chdir(sys.argv[1])
    os.execv(sys.argv[2], [sys.argv[2], '--conditions=dev-source', '--import', 'tsx', 'src/main.ts', 'relay', 'hash-password'])
seen = b''
def until(marker):
    global seen
    while marker not in seen:
        seen += os.read(fd, 1024)
until(b'Relay password: ')
os.write(fd, sys.argv[3].encode() + b'\\r')
until(b'Repeat it: ')
os.write(fd, sys.argv[4].encode() + b'\\r')
while True:
    try:
        chunk = os.read(fd, 1024)
    except OSError:
        break
    if not chunk:
        break
    seen += chunk
sys.stdout.write(seen.decode())
sys.exit(os.waitpid(pid, 0)[1] >> 8)
`;
    return new Promise((resolve, reject) => {
      const child = spawn('python3', ['-c', script, cliDir, process.execPath, first, second], {
        env: { ...process.env, NO_COLOR: '1' },
      });
      const run: CliRun = { code: null, stdout: '', stderr: '' };
      child.stdout.on('data', (chunk: Buffer) => {
        run.stdout += chunk.toString();
      });
      child.stderr.on('data', (chunk: Buffer) => {
        run.stderr += chunk.toString();
      });
      child.on('error', reject);
      child.on('close', (code) => resolve({ ...run, code }));
    });
  }

  it('on a terminal: prompts twice without echoing what is typed', async () => {
    const run = await onTerminal(RELAY_PASSWORD, RELAY_PASSWORD);
    expect(run.code).toBe(0);
    const hashed = /scrypt\$[^\s]+/.exec(run.stdout)?.[0] as string;
    expect(await hashes(hashed, RELAY_PASSWORD)).toBe(true);
    // A terminal left echoing would show the password after each prompt.
    expect(run.stdout).not.toContain(RELAY_PASSWORD);
  });

  it('on a terminal: two different answers make no hash (exit 2)', async () => {
    const run = await onTerminal(RELAY_PASSWORD, 'something-else');
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('The two passwords differ');
    expect(run.stdout).not.toContain('scrypt$');
  });
});

describe('kalisto relay queue', () => {
  it('spool: list, list --dead, retry and drop on a stopped relay', async () => {
    const spool = join(box.dir, `spool-${Date.now()}`);
    const file = await relayProperties({
      'kalisto.relay.queue': 'spool',
      'kalisto.relay.queue.path': spool,
      'kalisto.relay.queue.poll': '50',
    });
    const relay = await startRelay(file);
    const good = `cli-queue-good-${Date.now()}`;
    const queued = await swaks(relay.port(), megan, good);
    expect(queued.stdout).toMatch(/<- {2}250 2\.0\.0 Queued as \S+/);
    // The sandbox refuses an unknown recipient with 550: a dead letter.
    const refused = await swaks(relay.port(), 'nobody@contoso.example', `cli-queue-dead-${Date.now()}`);
    const deadId = /Queued as (\S+)/.exec(refused.stdout)?.[1] as string;
    await eventually(() => delivered(megan, good).length === 1, 'the good message delivered');
    await eventually(
      async () =>
        (await runKalisto(['relay', 'queue', 'list', '--dead', '--config', file])).stdout.includes(deadId),
      'the refused message dead',
    );
    expect((await relay.stop()).code).toBe(0);

    const dead = await runKalisto(['relay', 'queue', 'list', '--dead', '--config', file]);
    expect(dead.code).toBe(0);
    expect(dead.stdout).toContain(deadId);
    expect(dead.stdout).toContain('dead (permanent)');
    expect(dead.stdout).toContain('550');
    expect(dead.stdout).toContain('1 message.');

    const retried = await runKalisto(['relay', 'queue', 'retry', deadId, '--config', file]);
    expect(retried.code).toBe(0);
    const pending = await runKalisto(['--json', 'relay', 'queue', 'list', '--config', file]);
    expect(JSON.parse(pending.stdout).messages).toEqual([
      expect.objectContaining({ id: deadId, state: 'pending', mailbox: adele }),
    ]);

    const dropped = await runKalisto(['relay', 'queue', 'drop', deadId, '--config', file]);
    expect(dropped.code).toBe(0);
    expect((await runKalisto(['relay', 'queue', 'list', '--config', file])).stdout).toContain(
      'The queue is empty.',
    );
    const again = await runKalisto(['relay', 'queue', 'drop', deadId, '--config', file]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('QUEUE_MESSAGE_NOT_FOUND');
    for (const run of [dead, retried, pending, dropped, again]) expectNoSecrets(run, secrets);
  });

  it('a relay without a queue: exit 2', async () => {
    const run = await runKalisto(['relay', 'queue', 'list', '--config', await relayProperties()]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('kalisto.relay.queue=none');
  });

  describe('redis with a password', () => {
    const REDIS_PASSWORD = 'Redis-Queue-Password-3';
    let redis: RedisServer;

    beforeAll(async () => {
      redis = await startRedisServer(['--requirepass', REDIS_PASSWORD]);
    });

    afterAll(async () => {
      await redis?.stop();
    });

    it('list never prints the Redis URL or its password, with --debug too; nor does the failure of a wrong password', async () => {
      const url = `redis://:${REDIS_PASSWORD}@127.0.0.1:${redis.port}`;
      const file = await relayProperties({
        'kalisto.relay.queue': 'redis',
        'kalisto.relay.queue.redis.url': 'env:RELAY_REDIS_URL',
        'kalisto.relay.queue.redis.prefix': 'cli',
      });
      const env = { RELAY_REDIS_URL: url };
      const relay = await startRelay(file, env);
      const queued = await swaks(relay.port(), 'nobody@contoso.example', `cli-redis-${Date.now()}`);
      const id = /Queued as (\S+)/.exec(queued.stdout)?.[1] as string;
      const listed = async () =>
        runKalisto(['--debug', 'relay', 'queue', 'list', '--dead', '--config', file], { env });
      await eventually(async () => (await listed()).stdout.includes(id), 'the dead letter listed');
      const run = await relay.stop();
      expect(run.code).toBe(0);
      const list = await listed();
      expect(list.code).toBe(0);

      const wrong = await runKalisto(['--debug', 'relay', 'queue', 'list', '--config', file], {
        env: { RELAY_REDIS_URL: `redis://:wrong-${REDIS_PASSWORD}@127.0.0.1:${redis.port}` },
      });
      expect(wrong.code).not.toBe(0);
      for (const output of [run, list, wrong]) {
        expectNoSecrets(output, secrets);
        const printed = `${output.stdout}${output.stderr}`;
        expect(printed).not.toContain(REDIS_PASSWORD);
        expect(printed).not.toContain('redis://');
      }
    });
  });
});

describe('two relays on one Redis token cache', () => {
  let redis: RedisServer;

  beforeAll(async () => {
    redis = await startRedisServer();
  });

  afterAll(async () => {
    await redis?.stop();
  });

  it('websphere.cache on kalisto.cache.redis.url: one token request between them', async () => {
    const file = await relayProperties({
      'websphere.cache': 'services/cache/tokenO365',
      'kalisto.cache.redis.url': 'env:TOKEN_REDIS_URL',
      'kalisto.cache.redis.keyPrefix': `cli-${Date.now()}:`,
    });
    const env = { TOKEN_REDIS_URL: redis.url };
    const first = await startRelay(file, env);
    const second = await startRelay(file, env);
    box.sandbox.hooks.resetRequestCounts();
    const subjects = [`two-relays-a-${Date.now()}`, `two-relays-b-${Date.now()}`];
    expect((await swaks(first.port(), megan, subjects[0] as string)).stdout).toContain('250 2.0.0 Delivered');
    expect((await swaks(second.port(), megan, subjects[1] as string)).stdout).toContain(
      '250 2.0.0 Delivered',
    );
    expect(box.sandbox.hooks.requestCounts().client_credentials).toBe(1);
    for (const relay of [first, second]) expect((await relay.stop()).code).toBe(0);
  });

  it('an unknown kalisto.cache.redis.* property: exit 2 naming the known ones', async () => {
    const run = await runKalisto([
      'relay',
      '--config',
      await relayProperties({ 'kalisto.cache.redis.uri': redis.url }),
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('kalisto.cache.redis.uri');
    expect(run.stderr).toContain('kalisto.cache.redis.url');
  });
});
