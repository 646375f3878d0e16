// Runs contender scripts as separate node processes (through tsx) and checks their journal.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

/** Runs `node --import tsx <script> ...args`; rejects on a non-zero exit or after `timeoutMs` (killing it). */
export function runScript(script: string, args: string[], timeoutMs = 90_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=dev-source', '--import', 'tsx', script, ...args], {
      cwd: packageDir,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-2_000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${script} exited with ${code ?? signal}: ${stderr}`));
    });
  });
}

/** Checks a journal of `enter PID` / `exit PID` lines: sections never overlap. Returns the sections per pid. */
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
