// Runs fixture scripts as real, separate node processes. Each fixture is bundled once with esbuild
// (from source, through the dev-source condition), so fifty process starts cost node's start-up only.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** Bundles `fixtures/<name>.ts` into `outDir`; returns the script to run. */
export async function bundleFixture(name: string, outDir: string): Promise<string> {
  const outfile = join(outDir, `${name}.mjs`);
  await build({
    entryPoints: [join(fixtures, `${name}.ts`)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['dev-source'],
    logLevel: 'silent',
  });
  return outfile;
}

/** Starts `node script ...args`; stderr is kept (its tail) for the failure message. */
export function startScript(script: string, args: string[]): { child: ChildProcess; stderr: () => string } {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-2_000);
  });
  return { child, stderr: () => stderr };
}

/** Runs a script to its end; rejects on a non-zero exit, or kills it after `timeoutMs`. */
export function runScript(script: string, args: string[], timeoutMs = 90_000): Promise<void> {
  const { child, stderr } = startScript(script, args);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${script} exited with ${code ?? signal}: ${stderr()}`));
    });
  });
}

/** Checks a journal of `enter PID` / `exit PID` lines: critical sections never overlapped. */
export async function checkJournal(
  path: string,
): Promise<{ sections: number; overlaps: number; pids: number }> {
  const lines = (await readFile(path, 'utf8')).split('\n').filter((line) => line !== '');
  let inside: string | undefined;
  let overlaps = 0;
  let sections = 0;
  const pids = new Set<string>();
  for (const line of lines) {
    const [event, pid = ''] = line.split(' ');
    if (event === 'enter') {
      if (inside !== undefined) overlaps++;
      inside = pid;
      pids.add(pid);
    } else {
      if (inside !== pid) overlaps++;
      inside = undefined;
      sections++;
    }
  }
  return { sections, overlaps, pids: pids.size };
}
