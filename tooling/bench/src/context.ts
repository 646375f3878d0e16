/** What every benchmark may ask for: the sandbox and a redis-server, each started once, on first use. */

import { type RedisServer, startRedisServer } from '@kalisto/test-support';
import type { ResultRow } from './harness.js';
import { type SandboxProcess, startSandboxProcess } from './sandbox-process.js';

export interface BenchContext {
  sandbox(): Promise<SandboxProcess>;
  redis(): Promise<RedisServer>;
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
  return {
    tmpDir,
    sandbox: () => (sandbox ??= startSandboxProcess()),
    redis: () => (redis ??= startRedisServer()),
    async close() {
      await Promise.allSettled([sandbox?.then((s) => s.stop()), redis?.then((r) => r.stop())]);
    },
  };
}
