import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { CacheError, ConfigError, createKalisto, type Logger } from '@kalisto/core';
import { runCacheBackendSuite, tokenShapedValue } from '@kalisto/test-utils';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fileCache } from './file-cache.js';

const directories: string[] = [];
async function freshDirectory(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'kalisto-file-cache-'));
  directories.push(directory);
  return directory;
}

afterAll(async () => {
  for (const directory of directories.splice(0)) await rm(directory, { recursive: true, force: true });
});

runCacheBackendSuite(
  { describe, it, expect, afterAll },
  {
    name: 'file',
    create: async () => fileCache({ path: join(await freshDirectory(), 'tokens.json') }),
  },
);
runCacheBackendSuite(
  { describe, it, expect, afterAll },
  {
    name: 'file (encrypted)',
    create: async () =>
      fileCache({ path: join(await freshDirectory(), 'tokens.json'), encryptionKey: randomBytes(32) }),
  },
);

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug() {}, info() {}, warn: (_obj, msg) => warnings.push(msg ?? ''), error() {} };
}

describe('fileCache', () => {
  let directory: string;
  let path: string;

  beforeEach(async () => {
    directory = await freshDirectory();
    path = join(directory, 'tokens.json');
  });

  afterEach(async () => {
    for (const dir of directories.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it('writes one JSON document with mode 0600, and no temporary file is left', async () => {
    const cache = fileCache({ path });
    await cache.set('k', { accessToken: 'a' }, 60_000);
    const document = JSON.parse(await readFile(path, 'utf8'));
    expect(document.format).toBe('kalisto-token-cache');
    expect(document.entries.k.value).toEqual({ accessToken: 'a' });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await readdir(directory)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    await cache.close();
  });

  it('sees what another instance (another process) wrote, and only re-reads when the file changed', async () => {
    const writer = fileCache({ path });
    const reader = fileCache({ path });
    await writer.set('k', { v: 1 }, 60_000);
    const first = await reader.get('k');
    expect(first).toEqual({ v: 1 });
    // Unchanged file: the very same parsed object, not a re-parse.
    expect(await reader.get('k')).toBe(first);
    await writer.set('k', { v: 2 }, 60_000);
    expect(await reader.get('k')).toEqual({ v: 2 });
    await writer.delete('k');
    expect(await reader.get('k')).toBeUndefined();
  });

  it('treats a corrupt or truncated file as empty, warns once, and rewrites it', async () => {
    for (const broken of ['{"format":"kalisto-token-cache","version":1,"entr', '', 'not json', '[]']) {
      await writeFile(path, broken);
      const logger = recordingLogger();
      const cache = fileCache({ path, logger });
      const corrupt = () => logger.warnings.filter((w) => w.includes('corrupt'));
      expect(await cache.get('k')).toBeUndefined();
      expect(await cache.get('k')).toBeUndefined();
      expect(corrupt().length).toBe(1);
      expect(JSON.parse(await readFile(path, 'utf8')).entries).toEqual({});
      await cache.set('k', 'v', 60_000);
      expect(await fileCache({ path }).get('k')).toBe('v');
      expect(corrupt().length).toBe(1);
    }
  });

  it('prunes expired entries when it writes', async () => {
    const cache = fileCache({ path });
    await cache.set('short', 'v', 20);
    await new Promise((resolve) => setTimeout(resolve, 60));
    await cache.set('other', 'v', 60_000);
    expect(Object.keys(JSON.parse(await readFile(path, 'utf8')).entries)).toEqual(['other']);
  });

  it('stores no token bytes in clear when encrypted', async () => {
    const cache = fileCache({ path, encryptionKey: randomBytes(32) });
    const token = tokenShapedValue('file-secret-part');
    await cache.set('k', token, 60_000);
    const raw = await readFile(path);
    const accessToken = String(token.accessToken);
    for (const needle of [
      accessToken,
      'file-secret-part',
      Buffer.from(accessToken).toString('base64'),
      'contoso',
    ]) {
      expect(raw.includes(Buffer.from(needle))).toBe(false);
    }
    expect(await cache.get('k')).toEqual(token);
  });

  it('reads values written with another key, or in clear while a key is set, as misses', async () => {
    await fileCache({ path }).set('clear', 'v', 60_000);
    await fileCache({ path, encryptionKey: randomBytes(32) }).set('sealed', 'v', 60_000);
    const logger = recordingLogger();
    const cache = fileCache({ path, encryptionKey: randomBytes(32), logger });
    expect(await cache.get('clear')).toBeUndefined();
    expect(await cache.get('sealed')).toBeUndefined();
    expect(logger.warnings.length).toBe(2);
  });

  it('refuses to start without a key when requireEncryption is set', () => {
    expect(() => fileCache({ path, requireEncryption: true })).toThrow(ConfigError);
    expect(fileCache({ path, requireEncryption: true, encryptionKey: randomBytes(32) }).name).toBe('file');
  });

  it('reports an unwritable location as CACHE_IO naming the path, and never the value', async () => {
    await writeFile(join(directory, 'a-file'), '');
    const key = randomBytes(32);
    const cache = fileCache({ path: join(directory, 'a-file', 'tokens.json'), encryptionKey: key });
    const token = tokenShapedValue('unwritable-secret');
    const error = await cache.set('k', token, 60_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CacheError);
    expect((error as CacheError).code).toBe('CACHE_IO');
    expect((error as Error).message).toContain('[cache:file]');
    expect((error as Error).message).toContain(join(directory, 'a-file'));
    const printed = `${inspect(error, { depth: 5 })} ${JSON.stringify(error)}`;
    for (const secret of [
      String(token.accessToken),
      'unwritable-secret',
      key.toString('hex'),
      key.toString('base64'),
    ]) {
      expect(printed).not.toContain(secret);
    }
  });

  it('refuses a value JSON cannot hold without failing the writes queued beside it', async () => {
    const cache = fileCache({ path });
    const results = await Promise.allSettled([
      cache.set('a', 'v', 60_000),
      cache.set('bad', { n: 1n }, 60_000),
      cache.set('b', 'v', 60_000),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'CACHE_INVALID_VALUE' });
    expect(Object.keys(JSON.parse(await readFile(path, 'utf8')).entries).sort()).toEqual(['a', 'b']);
  });

  it('stores what JSON keeps: a Date becomes its string, as it would in any other backend', async () => {
    const cache = fileCache({ path });
    await cache.set('k', { at: new Date(0) }, 60_000);
    expect(await cache.get('k')).toEqual({ at: '1970-01-01T00:00:00.000Z' });
  });

  it('fails calls after close with CACHE_CLOSED, and waits for pending writes first', async () => {
    const cache = fileCache({ path });
    const write = cache.set('k', 'v', 60_000);
    await cache.close();
    await write;
    expect(JSON.parse(await readFile(path, 'utf8')).entries.k.value).toBe('v');
    await expect(cache.get('k')).rejects.toMatchObject({ code: 'CACHE_CLOSED' });
  });

  it('is said to store tokens in clear without a key: once, by createKalisto, naming the option and KALISTO_CACHE_KEY', async () => {
    vi.stubEnv('KALISTO_CACHE_KEY', undefined);
    try {
      const warnings: { obj: object; msg: string | undefined }[] = [];
      const logger: Logger = {
        debug() {},
        info() {},
        warn: (obj, msg) => void warnings.push({ obj, msg }),
        error() {},
      };
      const cache = fileCache({ path, logger });
      expect(cache.encrypted).toBe(false);
      // The backend's own logger stays for the file's problems: one path for this warning.
      expect(warnings).toHaveLength(0);
      const kalisto = createKalisto({ caches: [cache], logger });
      expect(warnings).toHaveLength(1);
      expect(warnings[0]?.obj).toMatchObject({
        cache: 'file',
        option: 'encryptionKey',
        env: 'KALISTO_CACHE_KEY',
      });
      expect(warnings[0]?.msg).toMatch(/stored in clear.*encryptionKey.*KALISTO_CACHE_KEY/);
      await cache.set('k', tokenShapedValue('clear'), 60_000);
      await cache.get('k');
      expect(warnings).toHaveLength(1);
      await kalisto.close();
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('says nothing and reports encrypted with a key, given as an option or in KALISTO_CACHE_KEY', () => {
    const logger = recordingLogger();
    expect(fileCache({ path, logger, encryptionKey: randomBytes(32) }).encrypted).toBe(true);
    vi.stubEnv('KALISTO_CACHE_KEY', randomBytes(32).toString('hex'));
    try {
      expect(fileCache({ path, logger }).encrypted).toBe(true);
    } finally {
      vi.unstubAllEnvs();
    }
    expect(logger.warnings).toEqual([]);
  });
});
