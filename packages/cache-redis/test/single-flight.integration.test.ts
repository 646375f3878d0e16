import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Sandbox, startSandbox } from '@kalisto/sandbox';
import { type RedisServer, startRedisServer } from '@kalisto/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const PROCESSES = 8;
const CALLS = 50;
const packageDir = fileURLToPath(new URL('..', import.meta.url));

let server: RedisServer;
let sandbox: Sandbox;
let directory: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  server = await startRedisServer();
  sandbox = await startSandbox({ mail: false });
  directory = await mkdtemp(join(tmpdir(), 'kalisto-single-flight-'));
}, 60_000);

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await sandbox?.stop();
  await server?.stop();
  if (directory) await rm(directory, { recursive: true, force: true });
});

/** Collects a child's stdout lines; resolves each awaited line in order. */
function lines(child: ChildProcess): () => Promise<string> {
  const queue: string[] = [];
  const waiting: Array<(line: string) => void> = [];
  let buffer = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    for (let end = buffer.indexOf('\n'); end >= 0; end = buffer.indexOf('\n')) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 1);
      const next = waiting.shift();
      if (next) next(line);
      else queue.push(line);
    }
  });
  return () => {
    const line = queue.shift();
    if (line !== undefined) return Promise.resolve(line);
    return new Promise((resolve, reject) => {
      waiting.push(resolve);
      child.once('exit', (code) => reject(new Error(`child exited (${code}) before writing a line`)));
    });
  };
}

describe('single flight across processes on a shared Redis', () => {
  it(`${PROCESSES} processes × ${CALLS} concurrent cold getToken() → one token request at the identity platform`, async () => {
    const propertiesFile = join(directory, 'properties.json');
    await writeFile(propertiesFile, JSON.stringify(sandbox.properties), { mode: 0o600 });
    const readers = Array.from({ length: PROCESSES }, () => {
      const child = spawn(
        process.execPath,
        [
          '--conditions=dev-source',
          '--import',
          'tsx',
          'test/fixtures/cold-connects.ts',
          server.url,
          propertiesFile,
          String(CALLS),
        ],
        { cwd: packageDir, stdio: ['pipe', 'pipe', 'inherit'] },
      );
      children.push(child);
      return { child, next: lines(child) };
    });
    for (const { next } of readers) expect(await next()).toBe('ready');
    sandbox.hooks.resetRequestCounts();
    // Every process is up and cold: release them together.
    for (const { child } of readers) child.stdin?.write('go\n');
    const reports = await Promise.all(readers.map(({ next }) => next()));
    await Promise.all(
      readers.map(({ child }) => (child.exitCode === null ? once(child, 'exit') : undefined)),
    );

    const tokens = new Set(reports.flatMap((report) => JSON.parse(report) as string[]));
    expect(tokens.size).toBe(1);
    expect(sandbox.hooks.requestCounts().client_credentials).toBe(1);
  }, 120_000);
});
