// Starts and stops real redis-server processes for the integration tests: bounded waits, always cleaned up.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports.js';

const run = promisify(execFile);
const children = new Set<ChildProcess>();
// Last resort if a test run dies before its afterAll: no redis-server outlives the test process.
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** Sends one inline command and returns the raw reply ('' when nothing answers). */
export function rawCommand(port: number, command: string, timeoutMs = 1_000): Promise<string> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const done = () => {
      socket.destroy();
      resolve(reply);
    };
    socket.setTimeout(timeoutMs, done);
    socket.once('error', done);
    socket.once('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      if (reply.endsWith('\r\n')) done();
    });
  });
}

async function waitFor(check: () => Promise<boolean>, what: string, withinMs = 15_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** One redis-server child on 127.0.0.1. */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** SIGKILL, and wait until it is gone. */
  kill(): Promise<void>;
  /** Start again on the same port (after kill). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts `redis-server --port P --save '' --appendonly no` (plus `extraArgs`) and waits for PONG. */
export async function startRedisServer(extraArgs: string[] = [], port?: number): Promise<RedisServer> {
  const chosen = port ?? (await freePort());
  let child: ChildProcess | undefined;

  async function start(): Promise<void> {
    const args = ['--port', String(chosen), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    const started = spawn('redis-server', [...args, '--daemonize', 'no', ...extraArgs], { stdio: 'ignore' });
    children.add(started);
    started.once('exit', () => children.delete(started));
    child = started;
    // A password-protected server answers -NOAUTH: it is up all the same.
    const answers = (reply: string) => reply.startsWith('+PONG') || reply.startsWith('-NOAUTH');
    try {
      await waitFor(async () => answers(await rawCommand(chosen, 'PING')), `redis-server on ${chosen}`);
    } catch (error) {
      await kill();
      throw error;
    }
  }

  async function kill(): Promise<void> {
    const current = child;
    child = undefined;
    if (current === undefined || current.exitCode !== null || current.signalCode !== null) return;
    const exited = new Promise((resolve) => current.once('exit', resolve));
    current.kill('SIGKILL');
    await exited;
  }

  await start();
  return { port: chosen, url: `redis://127.0.0.1:${chosen}`, kill, start, stop: kill };
}

/** Three masters forming a Redis Cluster (no replicas). */
export interface RedisCluster {
  readonly nodes: Array<{ host: string; port: number }>;
  stop(): Promise<void>;
}

/** Starts three `--cluster-enabled` servers and joins them with `redis-cli --cluster create`. */
export async function startRedisCluster(): Promise<RedisCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'kalisto-redis-cluster-'));
  const servers: RedisServer[] = [];
  const stop = async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      servers.push(
        await startRedisServer(
          [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            join(dir, `nodes-${port}.conf`),
            '--cluster-node-timeout',
            '2000',
            '--dir',
            dir,
          ],
          port,
        ),
      );
    }
    const addresses = servers.map((server) => `127.0.0.1:${server.port}`);
    await run(
      'redis-cli',
      ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'],
      {
        timeout: 30_000,
      },
    );
    for (const server of servers) {
      await waitFor(
        async () => (await rawCommand(server.port, 'CLUSTER INFO')).includes('cluster_state:ok'),
        `cluster state ok on ${server.port}`,
      );
    }
    return { nodes: servers.map((server) => ({ host: '127.0.0.1', port: server.port })), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A Sentinel watching one master under the name `master`. */
export interface RedisSentinel {
  readonly master: RedisServer;
  readonly sentinel: { host: string; port: number };
  readonly name: string;
  stop(): Promise<void>;
}

/** Starts a master and one `redis-server --sentinel` monitoring it (quorum 1). */
export async function startRedisSentinel(name = 'kalisto'): Promise<RedisSentinel> {
  const dir = await mkdtemp(join(tmpdir(), 'kalisto-redis-sentinel-'));
  const master = await startRedisServer();
  const port = await freePort();
  const config = join(dir, 'sentinel.conf');
  // Sentinel rewrites its config file, so it must be a writable file of its own.
  await writeFile(
    config,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor ${name} 127.0.0.1 ${master.port} 1`,
      `sentinel down-after-milliseconds ${name} 2000`,
      '',
    ].join('\n'),
  );
  const sentinel = spawn('redis-server', [config, '--sentinel'], { stdio: 'ignore' });
  children.add(sentinel);
  sentinel.once('exit', () => children.delete(sentinel));
  const stop = async () => {
    if (sentinel.exitCode === null && sentinel.signalCode === null) {
      const exited = new Promise((resolve) => sentinel.once('exit', resolve));
      sentinel.kill('SIGKILL');
      await exited;
    }
    await master.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      async () =>
        (await rawCommand(port, `SENTINEL get-master-addr-by-name ${name}`)).includes(String(master.port)),
      `sentinel on ${port}`,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { master, sentinel: { host: '127.0.0.1', port }, name, stop };
}
