import { spawn } from 'node:child_process';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';

/** A JSON line a child script reported. */
export type ChildEvent = Record<string, unknown> & { event: string };

/**
 * Runs a TypeScript script (an absolute path) in a separate Node process (`node --conditions=dev-source --import tsx`),
 * calls `onEvent` for each JSON line it prints and resolves with all of them when it exits.
 * The child is killed after `timeoutMs`.
 */
export function runChild(
  script: string,
  env: Record<string, string>,
  onEvent: (event: ChildEvent) => void = () => {},
  timeoutMs = 30_000,
): Promise<ChildEvent[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=dev-source', '--import', 'tsx', script], {
      cwd: dirname(script),
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const events: ChildEvent[] = [];
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      const event = JSON.parse(line) as ChildEvent;
      events.push(event);
      onEvent(event);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(events);
      else reject(new Error(`${script} exited with ${code}: ${stderr.slice(-2000)}`));
    });
  });
}
