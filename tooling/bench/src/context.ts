/** What every benchmark may ask for: the sandbox, a redis-server and the real servers, each started once, on first use. */

import { type RedisServer, startRedisServer } from '@kalisto/test-support';
import type { ResultRow } from './harness.js';
import { type InteropServers, startInteropServers } from './interop.js';
import { type SandboxProcess, startSandboxProcess } from './sandbox-process.js';

export interface BenchContext {
  sandbox(): Promise<SandboxProcess>;
  redis(): Promise<RedisServer>;
  /** Real Dovecot and Postfix (tooling/interop-servers) validating the sandbox's tokens. */
  interop(): Promise<InteropServers>;
  /** A directory for files the benchmarks write (removed at the end). */
  readonly tmpDir: string;
}

/** One benchmark of the suite. */
export interface Benchmark {
  /** The name `pnpm bench <name>` selects. */
  readonly name: string;
  readonly title: string;
  run(context: BenchContext): Promise<ResultRow[]>;
}

/** A context that starts its services lazily; `close()` stops whatever was started. */
export function createContext(tmpDir: string): BenchContext & { close(): Promise<void> } {
  let sandbox: Promise<SandboxProcess> | undefined;
  let redis: Promise<RedisServer> | undefined;
  let interop: Promise<InteropServers> | undefined;
  const sandboxOnce = () => (sandbox ??= startSandboxProcess());
  return {
    tmpDir,
    sandbox: sandboxOnce,
    redis: () => (redis ??= startRedisServer()),
    interop: () => (interop ??= sandboxOnce().then(startInteropServers)),
    async close() {
      // The servers first: they ask the sandbox to validate tokens until they stop.
      await interop?.then((i) => i.stop()).catch(() => {});
      await Promise.allSettled([sandbox?.then((s) => s.stop()), redis?.then((r) => r.stop())]);
    },
  };
}
