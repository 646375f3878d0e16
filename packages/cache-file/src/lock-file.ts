import { randomBytes } from 'node:crypto';
import { link, open, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Cross-process locks as files, for one host's processes (and, by expiry alone, for NFS).
 *
 * A lock is a file holding `{ pid, host, token, expiresAt }`, created atomically with `link()` so it
 * is never seen half-written. It is free when absent, expired, or held by a process of this host that
 * no longer exists (a holder killed with SIGKILL frees it at once, not after a timeout). A stale lock is
 * removed only under a short-lived guard file, and re-checked under it, so two processes that both
 * judged it stale cannot remove a lock a third has just taken; a release goes through the same guard.
 */

interface LockRecord {
  pid: number;
  host: string;
  token: string;
  expiresAt: number;
}

/** A lock this process holds. */
export interface HeldLockFile {
  release(): Promise<void>;
}

const HOST = hostname();
/** A guard is held for a read and an unlink; older than this, its holder is assumed gone. */
const GUARD_STALE_MS = 5_000;
const GUARD_WAIT_MS = 2_000;

/** True when `pid` names a running process (EPERM: it exists, but belongs to another user). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A lock file whose content is not ours (another program's) only frees up by age. */
const UNREADABLE_STALE_MS = 30_000;

async function isStale(path: string, current: LockRecord | 'unreadable'): Promise<boolean> {
  if (current === 'unreadable') {
    const info = await stat(path).catch(() => undefined);
    return info === undefined || Date.now() - info.mtimeMs > UNREADABLE_STALE_MS;
  }
  if (current.expiresAt <= Date.now()) return true;
  return current.host === HOST && !processExists(current.pid);
}

async function readRecord(path: string): Promise<LockRecord | 'absent' | 'unreadable'> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw error;
  }
  try {
    const record = JSON.parse(text) as LockRecord;
    const valid =
      typeof record.pid === 'number' &&
      typeof record.token === 'string' &&
      typeof record.expiresAt === 'number';
    return valid ? record : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

/** Creates `path` with `record` in it, atomically; false when it already exists. */
async function createExclusive(path: string, record: LockRecord): Promise<boolean> {
  const draft = `${path}.${record.pid}.${record.token}.new`;
  await writeFile(draft, JSON.stringify(record), { mode: 0o600 });
  try {
    await link(draft, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(draft).catch(() => {});
  }
}

/** Runs `body` while holding `<path>.guard`; resolves `undefined` if the guard stays busy too long. */
async function underGuard<T>(path: string, body: () => Promise<T>): Promise<T | undefined> {
  const guard = `${path}.guard`;
  const deadline = Date.now() + GUARD_WAIT_MS;
  for (;;) {
    try {
      const handle = await open(guard, 'wx', 0o600);
      try {
        await handle.writeFile(String(process.pid));
      } finally {
        await handle.close();
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    await removeStaleGuard(guard);
    if (Date.now() > deadline) return undefined;
    await sleep(1 + Math.random() * 4);
  }
  try {
    return await body();
  } finally {
    await unlink(guard).catch(() => {});
  }
}

async function removeStaleGuard(guard: string): Promise<void> {
  try {
    const [info, text] = await Promise.all([stat(guard), readFile(guard, 'utf8')]);
    const pid = Number(text);
    const dead = text !== '' && Number.isInteger(pid) && !processExists(pid);
    if (dead || Date.now() - info.mtimeMs > GUARD_STALE_MS) await unlink(guard);
  } catch {
    // Gone already, or being written this instant: look again on the next round.
  }
}

/**
 * Takes the lock at `path` for `ttlMs` if it is free (absent, expired, or its holder is dead);
 * resolves `undefined` when a live holder has it.
 */
export async function tryLockFile(path: string, ttlMs: number): Promise<HeldLockFile | undefined> {
  const record: LockRecord = {
    pid: process.pid,
    host: HOST,
    token: randomBytes(12).toString('hex'),
    expiresAt: Date.now() + ttlMs,
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await createExclusive(path, record)) return heldLock(path, record.token);
    const current = await readRecord(path);
    if (current === 'absent') continue;
    if (!(await isStale(path, current))) return undefined;
    // Judged again under the guard: another process may have replaced it with a live lock meanwhile.
    const removed = await underGuard(path, async () => {
      const again = await readRecord(path);
      if (again === 'absent') return true;
      if (!(await isStale(path, again))) return false;
      await unlink(path);
      return true;
    });
    if (!removed) return undefined;
  }
  return undefined;
}

function heldLock(path: string, token: string): HeldLockFile {
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      await underGuard(path, async () => {
        const current = await readRecord(path);
        // After expiry the file may belong to the next holder: only our own is removed.
        if (current !== 'absent' && current !== 'unreadable' && current.token === token) await unlink(path);
      });
    },
  };
}

/** Waits for the lock at `path` (polling with jitter) up to `waitMs`; `undefined` if it never came free. */
export async function lockFileWithin(
  path: string,
  ttlMs: number,
  waitMs: number,
): Promise<HeldLockFile | undefined> {
  const deadline = Date.now() + waitMs;
  let pause = 2;
  for (;;) {
    const lock = await tryLockFile(path, ttlMs);
    if (lock !== undefined) return lock;
    if (Date.now() > deadline) return undefined;
    await sleep(pause * (0.5 + Math.random()));
    pause = Math.min(pause * 2, 50);
  }
}
