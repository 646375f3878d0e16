import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('..', import.meta.url));

describe('memoryCache heap use', () => {
  it('adds under 10 MB of its own for 100,000 cached tokens', async () => {
    // A separate process with --expose-gc: forced collections make the measurement repeatable
    // (about 7 MB here); the tokens themselves (about 1.5 KB each for Exchange) are not counted.
    const { stdout } = await run(
      process.execPath,
      [
        '--expose-gc',
        '--conditions=dev-source',
        '--import',
        'tsx',
        'test/fixtures/heap-probe.ts',
        '100000',
        '1500',
      ],
      { cwd: packageDir, timeout: 120_000 },
    );
    const result = JSON.parse(stdout) as { overheadBytes: number; heapBytes: number; hits: number };
    expect(result.hits).toBe(100_000);
    expect(result.overheadBytes).toBeLessThan(10 * 1024 * 1024);
  }, 150_000);
});
