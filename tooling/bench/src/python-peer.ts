/**
 * Python's poplib, imaplib and smtplib as peers (`src/python-peer.py` in a child process), where
 * `python3` is on the PATH. Requests go over stdin (tokens included, never in argv), answers come
 * back one JSON line each; the child times only the work, as the Node contenders do.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const REQUEST_TIMEOUT_MS = 120_000;

export interface PythonPeer {
  /** `python3 --version`, e.g. `Python 3.12.3`. */
  readonly version: string;
  request<T extends object>(request: Record<string, unknown>): Promise<T>;
  stop(): Promise<void>;
}

/** The Python peer, or undefined when `python3` is not on the PATH (the peer rows are left out). */
export function startPythonPeer(): PythonPeer | undefined {
  let version: string;
  try {
    version = execFileSync('python3', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
  const child: ChildProcess = spawn(
    'python3',
    [fileURLToPath(new URL('./python-peer.py', import.meta.url))],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const killChild = () => child.kill('SIGKILL');
  process.once('exit', killChild);
  const answers = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const waiting: ((line: string) => void)[] = [];
  answers.on('line', (line) => waiting.shift()?.(line));
  let queue: Promise<unknown> = Promise.resolve();

  return {
    version,
    request<T extends object>(request: Record<string, unknown>) {
      // One request at a time: answers come back in order.
      const answer = queue.then(
        () =>
          new Promise<T>((resolve, reject) => {
            const timer = setTimeout(
              () => reject(new Error(`python peer: no answer to ${request.op}`)),
              REQUEST_TIMEOUT_MS,
            );
            waiting.push((line) => {
              clearTimeout(timer);
              const parsed = JSON.parse(line) as T & { error?: string };
              if (parsed.error !== undefined)
                reject(new Error(`python peer: ${request.op} failed (${parsed.error})`));
              else resolve(parsed);
            });
            child.stdin?.write(`${JSON.stringify(request)}\n`);
          }),
      );
      queue = answer.catch(() => {});
      return answer;
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.stdin?.end();
      const timer = setTimeout(killChild, 5_000);
      await exited;
      clearTimeout(timer);
      process.off('exit', killChild);
    },
  };
}
