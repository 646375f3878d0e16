/** A throwaway `redis-server` on a free loopback port (no persistence), for the cache benchmarks. */
import { spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '@kalisto/test-support';

export interface RedisProcess {
  readonly url: string;
  stop(): Promise<void>;
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const answer = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => answer(false));
    socket.once('error', () => answer(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (chunk) => answer(chunk.toString().startsWith('+PONG')));
  });
}

export async function startRedisProcess(): Promise<RedisProcess> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  for (let i = 0; !(await answersPing(port)); i++) {
    if (i >= 100) {
      kill();
      throw new Error('redis-server did not answer PING within 10 s (is it installed?)');
    }
    await sleep(100);
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
      process.off('exit', kill);
    },
  };
}
