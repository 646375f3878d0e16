/**
 * A client that leaves the SMTP server's implicit-TLS port mid-handshake once crashed Node (SIGSEGV)
 * at close(). The scenario runs in a child process so that a crash fails this test instead of
 * killing the test runner.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');

function runScript(script: string): Promise<{ code: number | null; signal: string | null; stdout: string }> {
  const child = spawn(
    process.execPath,
    [createRequire(import.meta.url).resolve('tsx/cli'), '--conditions', 'dev-source', script],
    { cwd: packageDir, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, stdout })));
}

describe('SMTP implicit TLS shutdown', () => {
  it('survives close() with clients that never completed a TLS handshake', async () => {
    const result = await runScript('test/scripts/smtps-abandoned-handshakes.ts');
    expect(result).toEqual({ code: 0, signal: null, stdout: 'survived\n' });
  });
});
