import { randomBytes } from 'node:crypto';
import { open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { processExists } from './lock-file.js';

/**
 * Replaces `path` with `data` so that a reader — or a crash at any instant — sees the old file or
 * the new one, never a mix: write a temporary file beside it, fsync, rename over, fsync the directory.
 */
export async function writeFileAtomic(path: string, data: string, mode = 0o600): Promise<void> {
  const temporary = join(
    dirname(path),
    `${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
  const file = await open(temporary, 'wx', mode);
  try {
    await file.writeFile(data, 'utf8');
    await file.sync();
  } catch (error) {
    await file.close();
    await unlink(temporary).catch(() => {});
    throw error;
  }
  await file.close();
  try {
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => {});
    throw error;
  }
  await syncDirectory(dirname(path));
}

async function syncDirectory(directory: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(directory, 'r');
    await handle.sync();
  } catch {
    // Some platforms (Windows) and file systems cannot fsync a directory; the rename is still atomic.
  } finally {
    await handle?.close();
  }
}

// `<base>.<pid>.<hex>.tmp` from writeFileAtomic, `<base>.lock.<pid>.<hex>.new` from a lock file being created.
const LEFTOVER = /^(?:lock\.)?(\d+)\.[0-9a-f]+\.(?:tmp|new)$/;

/** Removes temporary files that processes killed mid-write left beside `path`. */
export async function removeLeftovers(path: string): Promise<void> {
  const base = `${basename(path)}.`;
  const names = await readdir(dirname(path)).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(base)) continue;
    const match = LEFTOVER.exec(name.slice(base.length));
    if (match !== null && !processExists(Number(match[1]))) {
      await unlink(join(dirname(path), name)).catch(() => {});
    }
  }
}
