/**
 * The spool directory's files. Layout under the spool path:
 *
 * - `tmp/`     messages being written (`<id>~<host>~<pid>.tmp`); never read as messages
 * - `queue/`   pending messages, `<id>.msg` (immutable once renamed in)
 * - `active/`  claimed messages, `<id>~<host>~<pid>~<token>.msg`: the rename into here is the claim
 * - `dead/`    dead letters, `<id>.msg`
 * - `state/`   `<id>.json`: attempts, next attempt, last failure (absent before the first failure)
 * - `corrupt/` files that failed their size check, kept for inspection, never delivered
 *
 * A message file is `KALISTO-SPOOL 1\n<header length>\n<header JSON>\n<raw bytes>`; the header
 * states the body size, so a truncated file is recognised and never delivered half.
 */
import { randomBytes } from 'node:crypto';
import { readlinkSync } from 'node:fs';
import { type FileHandle, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { FailureRecord, QueueMessageInfo } from './types.js';

export const DIRS = ['tmp', 'queue', 'active', 'dead', 'state', 'corrupt'] as const;
export type SpoolDir = (typeof DIRS)[number];

const MAGIC = 'KALISTO-SPOOL 1\n';
const MAX_HEADER = 1 << 20;

/** What a message file's header holds. */
export interface SpoolHeader extends QueueMessageInfo {
  readonly id: string;
  readonly enqueuedAt: number;
  readonly size: number;
}

/** The mutable part of a message, in `state/<id>.json`. */
export interface SpoolState {
  readonly attempts: number;
  readonly nextAttemptAt?: number;
  readonly lastFailure?: FailureRecord;
}

/** A process that may hold claims: its host (see {@link thisOwner}) and pid. */
export interface Owner {
  readonly host: string;
  readonly pid: number;
}

/**
 * This process, as it appears in claim and temp file names. The host part also names the pid
 * namespace (Linux): two containers sharing a spool volume under one hostname still count as two
 * hosts, so neither judges the other's claims by pids it cannot see.
 */
export function thisOwner(): Owner {
  const name = hostname().replace(/[^A-Za-z0-9.-]/g, '_') || 'localhost';
  let namespace = '';
  try {
    namespace = /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))?.[1] ?? '';
  } catch {
    // Not Linux: the hostname alone.
  }
  return { host: namespace ? `${name}-ns${namespace}` : name, pid: process.pid };
}

export class SpoolPaths {
  constructor(readonly root: string) {}
  dir(dir: SpoolDir): string {
    return join(this.root, dir);
  }
  message(dir: 'queue' | 'dead', id: string): string {
    return join(this.root, dir, `${id}.msg`);
  }
  state(id: string): string {
    return join(this.root, 'state', `${id}.json`);
  }
  async create(): Promise<void> {
    for (const dir of DIRS) await mkdir(this.dir(dir), { recursive: true });
  }
}

/** A claim file name in `active/`, and back. */
export function claimName(id: string, owner: Owner, token: string): string {
  return `${id}~${owner.host}~${owner.pid}~${token}.msg`;
}

export interface ParsedClaim extends Owner {
  readonly id: string;
  readonly token: string;
}

export function parseClaimName(name: string): ParsedClaim | undefined {
  const match = /^([0-9a-z]{9}-[0-9a-f]{12})~([A-Za-z0-9._-]+)~(\d+)~([0-9a-f]+)\.msg$/.exec(name);
  if (!match) return undefined;
  return {
    id: match[1] as string,
    host: match[2] as string,
    pid: Number(match[3]),
    token: match[4] as string,
  };
}

export const newToken = (): string => randomBytes(8).toString('hex');

export function encodeHeader(header: SpoolHeader): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  return Buffer.concat([Buffer.from(`${MAGIC}${json.length}\n`, 'latin1'), json, Buffer.from('\n')]);
}

/** Splits a whole message file; undefined when it is not complete and well-formed. */
export function decodeMessage(file: Buffer): { header: SpoolHeader; raw: Buffer } | undefined {
  const parsed = headerOf(file);
  if (!parsed) return undefined;
  const raw = file.subarray(parsed.bodyOffset);
  if (raw.length !== parsed.header.size) return undefined;
  return { header: parsed.header, raw };
}

function headerOf(buffer: Buffer): { header: SpoolHeader; bodyOffset: number } | undefined {
  if (buffer.subarray(0, MAGIC.length).toString('latin1') !== MAGIC) return undefined;
  const lengthEnd = buffer.indexOf(0x0a, MAGIC.length);
  if (lengthEnd < 0 || lengthEnd - MAGIC.length > 8) return undefined;
  const length = Number(buffer.subarray(MAGIC.length, lengthEnd).toString('latin1'));
  if (!Number.isSafeInteger(length) || length <= 0 || length > MAX_HEADER) return undefined;
  const start = lengthEnd + 1;
  if (buffer.length < start + length + 1 || buffer[start + length] !== 0x0a) return undefined;
  try {
    const header = JSON.parse(buffer.subarray(start, start + length).toString('utf8')) as SpoolHeader;
    if (typeof header?.id !== 'string' || !Number.isSafeInteger(header.size)) return undefined;
    return { header, bodyOffset: start + length + 1 };
  } catch {
    return undefined;
  }
}

/** Reads only the header of a message file (list() never reads bodies). */
export async function readHeader(path: string): Promise<SpoolHeader | undefined> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, 'r');
    const first = Buffer.alloc(64 * 1024);
    const { bytesRead } = await handle.read(first, 0, first.length, 0);
    let parsed = headerOf(first.subarray(0, bytesRead));
    if (!parsed && bytesRead === first.length) {
      const whole = Buffer.alloc(MAX_HEADER + 64);
      const again = await handle.read(whole, 0, whole.length, 0);
      parsed = headerOf(whole.subarray(0, again.bytesRead));
    }
    return parsed?.header;
  } catch {
    return undefined;
  } finally {
    await handle?.close();
  }
}

/**
 * Writes `parts` to `tmpPath` (exclusive create), fsyncs it and renames it to `finalPath`. The
 * caller fsyncs the target directory to make the rename itself durable.
 */
export async function writeAtomically(
  tmpPath: string,
  finalPath: string,
  parts: readonly Buffer[],
  sync = true,
): Promise<void> {
  const handle = await open(tmpPath, 'wx', 0o600);
  try {
    // One writev for all parts; a short write (rare) goes on from where it stopped.
    const rest = [...parts];
    while (rest.length > 0) {
      let { bytesWritten } = await handle.writev(rest);
      while (rest.length > 0 && bytesWritten >= (rest[0] as Buffer).length) {
        bytesWritten -= (rest[0] as Buffer).length;
        rest.shift();
      }
      if (bytesWritten > 0) rest[0] = (rest[0] as Buffer).subarray(bytesWritten);
    }
    if (sync) await handle.sync();
  } catch (error) {
    await handle.close().catch(() => {});
    await unlink(tmpPath).catch(() => {});
    throw error;
  }
  await handle.close();
  try {
    await rename(tmpPath, finalPath);
  } catch (error) {
    await unlink(tmpPath).catch(() => {});
    throw error;
  }
}

export async function fsyncDir(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Directory fsyncs shared between concurrent callers (group commit): a call waits for a sync that
 * started after it was made, so its rename is covered, and one sync serves every caller queued
 * behind the running one.
 */
export function coalescedFsync(path: string): () => Promise<void> {
  let running: Promise<void> | undefined;
  let next: Promise<void> | undefined;
  const run = (): Promise<void> => {
    const current = fsyncDir(path).finally(() => {
      running = undefined;
    });
    running = current;
    return current;
  };
  return () => {
    if (!running) return run();
    if (!next) {
      next = running
        .catch(() => {})
        .then(() => {
          next = undefined;
          return run();
        });
    }
    return next;
  };
}

export async function readState(path: string): Promise<SpoolState> {
  try {
    const state = JSON.parse(await readFile(path, 'utf8')) as SpoolState;
    return Number.isSafeInteger(state?.attempts) ? state : { attempts: 0 };
  } catch {
    // Missing (never failed) or torn by a power loss: start counting again rather than lose the message.
    return { attempts: 0 };
  }
}

export async function writeState(
  paths: SpoolPaths,
  id: string,
  state: SpoolState,
  owner: Owner,
  sync: boolean,
): Promise<void> {
  const tmp = join(paths.dir('tmp'), `${id}~${owner.host}~${owner.pid}~${newToken()}.state`);
  await writeAtomically(tmp, paths.state(id), [Buffer.from(JSON.stringify(state), 'utf8')], sync);
}

/** ENOENT: someone else moved or removed the file first — the normal outcome of losing a race. */
export const isMissing = (error: unknown): boolean => (error as NodeJS.ErrnoException)?.code === 'ENOENT';

/** Whether `pid` runs on this host (EPERM: it runs, as another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
