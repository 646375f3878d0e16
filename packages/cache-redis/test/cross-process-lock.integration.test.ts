import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkJournal, runScript } from './cross-process.js';
import { type RedisServer, startRedisServer } from './redis-server.js';

const CONTENDERS = 8;
const ROUNDS = 10;
let server: RedisServer;
let dir: string;

beforeAll(async () => {
  server = await startRedisServer();
  dir = await mkdtemp(join(tmpdir(), 'kalisto-redis-lock-'));
});

afterAll(async () => {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('redisCache lock across processes', () => {
  it(`never lets ${CONTENDERS} processes into the critical section together`, async () => {
    const journal = join(dir, 'journal.log');
    await Promise.all(
      Array.from({ length: CONTENDERS }, () =>
        runScript('test/fixtures/lock-contender.ts', [server.url, 'one-key', journal, String(ROUNDS)]),
      ),
    );
    const result = await checkJournal(journal);
    expect(result).toEqual({ sections: CONTENDERS * ROUNDS, overlaps: 0, pids: CONTENDERS });
  }, 120_000);
});
