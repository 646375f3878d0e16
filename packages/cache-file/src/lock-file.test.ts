import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lockFileWithin, processExists, tryLockFile } from './lock-file.js';

describe('lock files', () => {
  let directory: string;
  let path: string;

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'kalisto-lock-file-'));
    path = join(directory, 'k.lock');
  });

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  /** A pid that certainly names no process any more: a child that has exited. */
  function deadPid(): number {
    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    const pid = Number(child.stdout.toString());
    expect(processExists(pid)).toBe(false);
    return pid;
  }

  it('frees at once a lock whose holder on this host has died, long before its expiry', async () => {
    const record = { pid: deadPid(), host: hostname(), token: 'dead', expiresAt: Date.now() + 3_600_000 };
    await writeFile(path, JSON.stringify(record));
    const lock = await tryLockFile(path, 10_000);
    expect(lock).toBeDefined();
    await lock?.release();
  });

  it('respects a live holder on another host until its expiry', async () => {
    const record = {
      pid: deadPid(),
      host: 'another-host',
      token: 'remote',
      expiresAt: Date.now() + 3_600_000,
    };
    await writeFile(path, JSON.stringify(record));
    expect(await tryLockFile(path, 10_000)).toBeUndefined();
    await writeFile(path, JSON.stringify({ ...record, expiresAt: Date.now() - 1 }));
    expect(await tryLockFile(path, 10_000)).toBeDefined();
  });

  it('leaves a lock file it cannot read alone (another program’s)', async () => {
    await writeFile(path, 'not a kalisto lock');
    expect(await tryLockFile(path, 10_000)).toBeUndefined();
  });

  it('breaks a guard left by a dead process', async () => {
    const first = await tryLockFile(path, 10_000);
    await writeFile(`${path}.guard`, String(deadPid()));
    await first?.release();
    expect(await tryLockFile(path, 10_000)).toBeDefined();
  });

  it('waits for a lock up to a bound, and gets it once released', async () => {
    const held = await tryLockFile(path, 10_000);
    expect(await lockFileWithin(path, 10_000, 100)).toBeUndefined();
    setTimeout(() => void held?.release(), 50);
    const next = await lockFileWithin(path, 10_000, 5_000);
    expect(next).toBeDefined();
    await next?.release();
    expect(await readdir(directory)).toEqual([]);
  });
});
