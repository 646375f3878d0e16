import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type RedisServer, runLockContenders, startRedisServer } from '@kalisto/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CONTENDERS = 8;
const ROUNDS = 10;
const contender = fileURLToPath(new URL('./fixtures/lock-contender.ts', import.meta.url));
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
    const result = await runLockContenders({
      script: contender,
      target: [server.url],
      key: 'one-key',
      journal: join(dir, 'journal.log'),
      rounds: ROUNDS,
      contenders: CONTENDERS,
    });
    expect(result).toEqual({ sections: CONTENDERS * ROUNDS, overlaps: 0, pids: CONTENDERS });
  }, 120_000);
});
