import { createHash } from 'node:crypto';
import { mkdir, open, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { type CacheBackend, CacheError, type CacheLock, ConfigError, type Logger } from '@kalisto/core';
import {
  CACHE_KEY_ENV,
  type CacheEncryptionKey,
  createValueSealer,
  defineCacheBackend,
  scrubbedError,
  toCacheJson,
} from '@kalisto/core/plugin';
import { removeLeftovers, writeFileAtomic } from './atomic-write.js';
import {
  type CacheDocument,
  emptyDocument,
  parseDocument,
  pruneExpired,
  type StoredEntry,
} from './document.js';
import { lockFileWithin, tryLockFile } from './lock-file.js';

/** Options of {@link fileCache}. */
export interface FileCacheOptions {
  /** The cache file (created with mode 0600; its directory with 0700 if missing). */
  path: string;
  /**
   * AES-256-GCM key for values at rest (32 bytes: hex, base64, bytes or a `Secret`); an array rotates
   * keys (the first seals, all open). Default: `KALISTO_CACHE_KEY` from the environment, else none.
   */
  encryptionKey?: CacheEncryptionKey | readonly CacheEncryptionKey[];
  /** Refuse to start without an encryption key. Set it whenever the cache may hold refresh tokens. Default `false`. */
  requireEncryption?: boolean;
  /** Longest wait for the file's write lock held by other processes. Default 5,000 ms. */
  lockTimeoutMs?: number;
  /** The backend's name in errors and registries. Default `file`. */
  name?: string;
  /**
   * Receives warnings (pino's shape) about a corrupt file or unreadable values. Silent by default.
   * (That values are stored in clear — `encrypted: false` — is `createKalisto`'s warning.)
   */
  logger?: Logger;
}

/** A file cache backend: always has a cross-process lock and a `close()`. */
export interface FileCache extends CacheBackend {
  /**
   * Whether values are sealed (AES-256-GCM) before they reach the file: `false` without an
   * `encryptionKey` (or `KALISTO_CACHE_KEY`), when tokens are readable by anyone who can read the file.
   */
  readonly encrypted: boolean;
  acquireLock(key: string, ttlMs: number): Promise<CacheLock | undefined>;
  /** Waits for pending writes; later calls fail with `CACHE_CLOSED`. */
  close(): Promise<void>;
}

/** The file as last read: its identity, its entries, and the values decoded so far. */
interface Snapshot {
  /** inode, size, mtime and ctime: a rename-replaced file always gets a new inode. */
  id: string;
  document: CacheDocument;
  decoded: Map<string, { value: unknown; expiresAt: number } | undefined>;
}

type Mutation = (document: CacheDocument) => void;

interface PendingWrite {
  mutation: Mutation;
  resolve(): void;
  reject(error: unknown): void;
}

/** The write lock is held for one read-modify-write; a holder slower than this is presumed stuck. */
const WRITE_LOCK_TTL_MS = 10_000;
const ABSENT = 'absent';

function identity(info: { ino: number; size: number; mtimeMs: number; ctimeMs: number }): string {
  return `${info.ino}:${info.size}:${info.mtimeMs}:${info.ctimeMs}`;
}

/**
 * A token cache that survives restarts and is shared by the processes of one host: one JSON file,
 * replaced atomically, written under a cross-process lock (so concurrent writers lose no entry),
 * encrypted at rest when a key is given. Reads parse the file once and again only when it changed.
 */
export function fileCache(options: FileCacheOptions): FileCache {
  const name = options.name ?? 'file';
  if (typeof options.path !== 'string' || options.path === '') {
    throw new ConfigError([{ property: 'fileCache.path', expected: 'the path of the cache file' }]);
  }
  const path = resolve(options.path);
  const sealer = createValueSealer({ key: options.encryptionKey, property: 'fileCache.encryptionKey' });
  if (sealer === undefined && options.requireEncryption) {
    throw new ConfigError([
      {
        property: 'fileCache.encryptionKey',
        expected: `a 32-byte key (option or ${CACHE_KEY_ENV}): requireEncryption is set, so tokens are never written in clear`,
      },
    ]);
  }
  const lockTimeoutMs = options.lockTimeoutMs ?? 5_000;
  const logger = options.logger;
  const locksDirectory = `${path}.locks`;

  let snapshot: Snapshot = { id: ABSENT, document: emptyDocument(), decoded: new Map() };
  let loading: Promise<void> | undefined;
  /** The identity of the corrupt file we already warned about: one warning per bad file, not per read. */
  let warnedAbout: string | undefined;
  let pending: PendingWrite[] = [];
  let flushing: Promise<void> | undefined;
  let sweptLeftovers = false;

  const fail = (action: string, error: unknown): CacheError => {
    if (error instanceof CacheError) return error;
    const code = (error as NodeJS.ErrnoException).code;
    return new CacheError(
      `[cache:${name}] ${action} ${path} failed${code === undefined ? '' : ` (${code})`}.`,
      {
        code: 'CACHE_IO',
        backend: name,
        cause: scrubbedError(error),
        hint: 'Check that the directory exists, is writable by this user, and the disk is not full.',
      },
    );
  };

  /** Reads the file through one descriptor, so its identity and content belong together. */
  async function readCurrent(): Promise<{ id: string; document: CacheDocument; corrupt: boolean }> {
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        return { id: ABSENT, document: emptyDocument(), corrupt: false };
      }
      throw error;
    }
    try {
      const id = identity(await handle.stat());
      const document = parseDocument(await handle.readFile('utf8'));
      if (document !== undefined) return { id, document, corrupt: false };
      if (warnedAbout !== id) {
        warnedAbout = id;
        logger?.warn(
          { backend: name, path },
          'Token cache file is corrupt or truncated; treating it as empty and rewriting it',
        );
      }
      return { id, document: emptyDocument(), corrupt: true };
    } finally {
      await handle.close();
    }
  }

  /** Makes `snapshot` match the file if the file changed since we last read it. */
  async function refresh(): Promise<void> {
    let id: string;
    try {
      id = identity(await stat(path));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw fail('Reading', error);
      id = ABSENT;
    }
    if (id === snapshot.id) return;
    loading ??= (async () => {
      try {
        const current = await readCurrent();
        snapshot = { id: current.id, document: current.document, decoded: new Map() };
        // Rewrite it now; if that fails (lock busy, disk full) the next write rewrites it anyway.
        if (current.corrupt) await enqueue(() => {}).catch(() => {});
      } catch (error) {
        throw fail('Reading', error);
      } finally {
        loading = undefined;
      }
    })();
    await loading;
  }

  function decode(key: string, entry: StoredEntry): { value: unknown; expiresAt: number } | undefined {
    let json: string | undefined;
    if ('sealed' in entry) json = sealer?.open(key, Buffer.from(entry.sealed, 'base64'));
    else if (sealer === undefined) return { value: entry.value, expiresAt: entry.expiresAt };
    if (json !== undefined) {
      try {
        return { value: JSON.parse(json) as unknown, expiresAt: entry.expiresAt };
      } catch {
        // Falls through to the warning below.
      }
    }
    logger?.warn(
      { backend: name, path },
      'Ignoring a cached value that cannot be read with the configured key (or lack of one)',
    );
    return undefined;
  }

  /** What the file will hold for `value`: its JSON form (a copy), sealed when there is a key. */
  function encode(key: string, json: string, expiresAt: number): StoredEntry {
    if (sealer === undefined) return { expiresAt, value: JSON.parse(json) as unknown };
    return { expiresAt, sealed: sealer.seal(key, json).toString('base64') };
  }

  /** Queues a change; changes queued while a write runs go out together in the next one. */
  function enqueue(mutation: Mutation): Promise<void> {
    return new Promise((resolvePending, rejectPending) => {
      pending.push({ mutation, resolve: resolvePending, reject: rejectPending });
      flushing ??= flush();
    });
  }

  async function flush(): Promise<void> {
    while (pending.length > 0) {
      const batch = pending;
      pending = [];
      try {
        await commit(batch.map((write) => write.mutation));
        for (const write of batch) write.resolve();
      } catch (error) {
        for (const write of batch) write.reject(fail('Writing', error));
      }
    }
    flushing = undefined;
  }

  /** Read-modify-write under the cross-process write lock. */
  async function commit(mutations: readonly Mutation[]): Promise<void> {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const lock = await lockFileWithin(`${path}.lock`, WRITE_LOCK_TTL_MS, lockTimeoutMs);
    if (lock === undefined) {
      throw new CacheError(
        `[cache:${name}] Another process held the lock on ${path} for over ${lockTimeoutMs} ms.`,
        {
          code: 'CACHE_LOCK_TIMEOUT',
          backend: name,
          hint: `If no Kalisto process is writing, remove ${path}.lock; otherwise raise lockTimeoutMs.`,
        },
      );
    }
    try {
      if (!sweptLeftovers) {
        sweptLeftovers = true;
        await removeLeftovers(path);
      }
      const { document } = await readCurrent();
      for (const mutation of mutations) mutation(document);
      pruneExpired(document, Date.now());
      await writeFileAtomic(path, JSON.stringify(document));
      const written = identity(await stat(path));
      snapshot = { id: written, document, decoded: new Map() };
    } finally {
      await lock.release();
    }
  }

  function lockPath(key: string): string {
    return join(locksDirectory, `${createHash('sha256').update(key).digest('hex').slice(0, 40)}.lock`);
  }

  // defineCacheBackend checks each TTL (these get whole, positive ms), refuses calls after close()
  // and makes close() and a lock's release() run once.
  return defineCacheBackend({
    name,
    encrypted: sealer !== undefined,
    async get<T>(key: string): Promise<T | undefined> {
      await refresh();
      const { decoded, document } = snapshot;
      let hit = decoded.get(key);
      if (hit === undefined && !decoded.has(key)) {
        const entry = document.entries[key];
        hit = entry === undefined ? undefined : decode(key, entry);
        decoded.set(key, hit);
      }
      return hit !== undefined && hit.expiresAt > Date.now() ? (hit.value as T) : undefined;
    },
    async set(key: string, value: unknown, ttl: number): Promise<void> {
      const expiresAt = Date.now() + ttl;
      const json = toCacheJson(name, value);
      if (json === undefined) {
        await enqueue((document) => {
          delete document.entries[key];
        });
        return;
      }
      const entry = encode(key, json, expiresAt);
      await enqueue((document) => {
        document.entries[key] = entry;
      });
    },
    async delete(key: string): Promise<void> {
      await enqueue((document) => {
        delete document.entries[key];
      });
    },
    async acquireLock(key: string, ttl: number): Promise<CacheLock | undefined> {
      try {
        await mkdir(locksDirectory, { recursive: true, mode: 0o700 });
        const held = await tryLockFile(lockPath(key), ttl);
        if (held === undefined) return undefined;
        return {
          release: async () => {
            try {
              await held.release();
            } catch (error) {
              throw fail('Releasing a lock beside', error);
            }
          },
        };
      } catch (error) {
        throw fail('Locking beside', error);
      }
    },
    /** Waits for pending writes. */
    close: async (): Promise<void> => {
      await flushing;
    },
  });
}
