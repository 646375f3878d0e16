/** Starts the sandbox in a child process and talks to it over IPC. */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SandboxReady, SandboxReply, SandboxRequest } from './sandbox-protocol.js';

type Request = SandboxRequest extends infer R ? (R extends SandboxRequest ? Omit<R, 'id'> : never) : never;

/** A running sandbox child: its connection details and the requests it answers. */
export interface SandboxProcess extends SandboxReady {
  request<T = unknown>(request: Request): Promise<T>;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 60_000;
const REQUEST_TIMEOUT_MS = 120_000;

export async function startSandboxProcess(): Promise<SandboxProcess> {
  const child: ChildProcess = fork(fileURLToPath(new URL('./sandbox-child.ts', import.meta.url)), [], {
    execArgv: ['--conditions=dev-source', '--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  // Never outlive the benchmark process.
  const killChild = () => child.kill('SIGKILL');
  process.once('exit', killChild);

  const ready = await new Promise<SandboxReady>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('the sandbox did not start within 60 s')),
      START_TIMEOUT_MS,
    );
    child.once('exit', (code) => reject(new Error(`the sandbox exited during start-up (code ${code})`)));
    child.once('message', (message: SandboxReady) => {
      clearTimeout(timer);
      resolve(message);
    });
  });

  let nextId = 1;
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  child.on('message', (message: SandboxReply) => {
    if (message.type !== 'reply') return;
    const waiter = pending.get(message.id);
    pending.delete(message.id);
    if (message.error !== undefined) waiter?.reject(new Error(`sandbox: ${message.error}`));
    else waiter?.resolve(message.result);
  });

  return {
    ...ready,
    request<T>(request: Request) {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`sandbox: no answer to ${request.op}`));
        }, REQUEST_TIMEOUT_MS);
        pending.set(id, {
          resolve: (value) => {
            clearTimeout(timer);
            resolve(value as T);
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        });
        child.send({ ...request, id });
      });
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.send({ op: 'stop', id: 0 });
      const timer = setTimeout(killChild, 10_000);
      await exited;
      clearTimeout(timer);
      process.off('exit', killChild);
    },
  };
}
