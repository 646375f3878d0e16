import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const INSTALL_HINT =
  "Run `bash tooling/services/install.sh` as root (it installs Debian's dovecot and postfix packages).";

/** Fails with a message that says what to install when a server binary or root is missing. */
export function requireServerBinary(path: string, what: string): void {
  if (!existsSync(path)) throw new Error(`${what} is not installed (${path} is missing). ${INSTALL_HINT}`);
  if (process.getuid?.() !== 0) {
    throw new Error(
      `${what} must be started as root here (it drops privileges to its own users). ${INSTALL_HINT}`,
    );
  }
}

/** A fresh directory under the OS temp dir that the servers' own users can traverse. */
export async function serverDirectory(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `kalisto-${prefix}-`));
  await chmod(dir, 0o755);
  return dir;
}

/** The last lines of a server's log, to put into a start-up failure. */
export async function logTail(path: string, lines = 15): Promise<string> {
  const text = await readFile(path, 'utf8').catch(() => '(no log written)');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

export function chownTo(path: string, user: string): void {
  execFileSync('chown', ['-R', user, path]);
}

/** Polls until `probe` resolves true, at most `timeoutMs`. */
export async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not become ready within ${timeoutMs} ms`);
}

/** Resolves true when a TCP connection to 127.0.0.1:port succeeds. */
export function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
