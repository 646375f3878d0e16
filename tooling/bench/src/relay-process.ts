/** Starts `relay-child.ts` (the relay in its own process) and talks to it over stdin/stdout. */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { hashRelayPassword } from '@kalisto/relay';
import type { SandboxProcess } from './sandbox-process.js';

/** The relay login of the benchmarks (a relay credential, not a Microsoft one). */
export const RELAY_USER = { user: 'bench', password: 'Bench-Relay-Password-1!' } as const;

/** What the relay child reports for `measure`. */
export interface RelayMemory {
  connections: number;
  /** VmRSS after two full collections, bytes. */
  rss: number;
  /** VmHWM, bytes. */
  peak: number;
  heapUsed: number;
}

export interface RelayProcess {
  /** Port of each listener, by name. */
  readonly ports: Readonly<Record<string, number>>;
  measure(): Promise<RelayMemory>;
  /** The relay process's CPU time so far (user + system), ms. */
  cpuMs(): Promise<number>;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 60_000;
let hash: Promise<string> | undefined;

/**
 * The relay properties for the sandbox: its session properties, the bench user mapped to the
 * sandbox's mailbox, and `relay` (listeners, queue).
 */
export async function relayProperties(
  sandbox: SandboxProcess,
  relay: Record<string, string>,
): Promise<Record<string, string>> {
  hash ??= hashRelayPassword(RELAY_USER.password);
  return {
    ...sandbox.properties,
    'kalisto.relay.user.bench.password': await hash,
    'kalisto.relay.user.bench.mailbox': sandbox.user,
    ...relay,
  };
}

/**
 * Starts the relay child with `properties`. KALISTO_BENCH_RELAY_NODE_ARGS adds node options to it
 * (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile the relay).
 */
export async function startRelayProcess(properties: Record<string, string>): Promise<RelayProcess> {
  const child = spawn(
    process.execPath,
    [
      '--expose-gc',
      ...(process.env.KALISTO_BENCH_RELAY_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      '--conditions=dev-source',
      '--import',
      'tsx',
      fileURLToPath(new URL('./relay-child.ts', import.meta.url)),
      JSON.stringify(properties),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const killChild = () => child.kill('SIGKILL');
  process.once('exit', killChild);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const waiting: ((event: Record<string, unknown>) => void)[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line.startsWith('{')) waiting.shift()?.(JSON.parse(line));
  });
  const next = () =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('the relay did not answer within 60 s')),
        START_TIMEOUT_MS,
      );
      waiting.push((event) => {
        clearTimeout(timer);
        resolve(event);
      });
      void exited.then(() => reject(new Error('the relay exited')));
    });
  const listening = await next();
  return {
    ports: listening.ports as Record<string, number>,
    async measure() {
      const measured = next();
      child.stdin.write('measure\n');
      return (await measured) as unknown as RelayMemory;
    },
    async cpuMs() {
      const answer = next();
      child.stdin.write('cpu\n');
      return (await answer).ms as number;
    },
    async stop() {
      child.stdin.write('quit\n');
      const timer = setTimeout(killChild, 10_000);
      await exited;
      clearTimeout(timer);
      process.off('exit', killChild);
    },
  };
}
