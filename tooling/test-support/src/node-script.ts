import { type ChildProcess, spawn } from 'node:child_process';
import { dirname } from 'node:path';

/** A script started by {@link startNodeScript}. */
export interface StartedScript {
  child: ChildProcess;
  /** The tail of what the script wrote on stderr (2,000 characters), for a failure message. */
  stderr(): string;
}

/**
 * Starts `script` (an absolute path) in a separate Node process with `args`; its stdout is piped.
 * A `.ts` script runs from source (`--conditions=dev-source --import tsx`); a bundled `.mjs`/`.js`
 * runs as it is, so many starts cost only Node's own start-up.
 */
export function startNodeScript(script: string, args: readonly string[] = []): StartedScript {
  const nodeArgs = script.endsWith('.ts') ? ['--conditions=dev-source', '--import', 'tsx'] : [];
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], {
    cwd: dirname(script),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-2_000);
  });
  return { child, stderr: () => stderr };
}

/** Runs a script to its end; rejects on a non-zero exit (with its stderr), killing it after `timeoutMs`. */
export function runNodeScript(
  script: string,
  args: readonly string[] = [],
  timeoutMs = 90_000,
): Promise<void> {
  const { child, stderr } = startNodeScript(script, args);
  child.stdout?.resume();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${script} exited with ${code ?? signal}: ${stderr()}`));
    });
  });
}
