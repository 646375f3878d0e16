import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@kalisto/core';
import { runLockContenders, runNodeScript, startNodeScript } from '@kalisto/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileCache } from '../src/index.js';
import { bundleFixture } from './bundle-fixture.js';

let directory: string;
let scripts: Record<'step-writer' | 'burst-writer', string>;
// Eight starts only, and it imports @kalisto/test-support: run from source (tsx) rather than bundled.
const lockContender = fileURLToPath(new URL('./fixtures/lock-contender.ts', import.meta.url));

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'kalisto-file-processes-'));
  scripts = {
    'step-writer': await bundleFixture('step-writer', directory),
    'burst-writer': await bundleFixture('burst-writer', directory),
  };
}, 60_000);

afterAll(async () => {
  if (directory) await rm(directory, { recursive: true, force: true });
});

/** Counts warnings (about the file: the backend has no other). */
function countingLogger(): Logger & { warnings: number } {
  const logger = {
    warnings: 0,
    debug() {},
    info() {},
    error() {},
    warn: () => {
      logger.warnings++;
    },
  };
  return logger;
}

describe('fileCache across processes', () => {
  it('always loads after a writer is killed with SIGKILL mid-write, 50 times, holding the old or the new state', async () => {
    const path = join(directory, 'killed.json');
    let committed = 0;
    for (let round = 0; round < 50; round++) {
      const { child, stderr } = startNodeScript(scripts['step-writer'], [path]);
      const exited = once(child, 'exit');
      try {
        const [chunk] = (await Promise.race([once(child.stdout!, 'data'), sleep(20_000, ['timeout'])])) as [
          unknown,
        ];
        expect(String(chunk), stderr()).toContain('ready');
        await sleep(Math.random() * 40);
      } finally {
        child.kill('SIGKILL');
        await exited;
      }

      const document = JSON.parse(await readFile(path, 'utf8'));
      const steps = Object.keys(document.entries).filter((key) => key.startsWith('step-'));
      // Every commit adds the next step: a whole state holds step-0..step-(n-1), nothing torn or missing.
      expect(steps.sort()).toEqual(Array.from({ length: steps.length }, (_, i) => `step-${i}`).sort());
      expect(steps.length).toBeGreaterThan(committed);
      committed = steps.length;

      const logger = countingLogger();
      expect(await fileCache({ path, logger }).get('step-0')).toBeDefined();
      expect(logger.warnings).toBe(0);
    }

    // The next writer sweeps what the killed ones left behind (temporary files, their lock).
    await fileCache({ path }).set('after', 'v', 60_000);
    const leftovers = (await readdir(directory)).filter((name) => name.startsWith('killed.json.'));
    expect(leftovers).toEqual([]);
  }, 240_000);

  it('loses no entry when 4 processes write 100 distinct keys each, all at once', async () => {
    const path = join(directory, 'burst.json');
    await Promise.all(
      ['a', 'b', 'c', 'd'].map((prefix) => runNodeScript(scripts['burst-writer'], [path, prefix, '100'])),
    );
    const reader = fileCache({ path });
    let present = 0;
    for (const prefix of ['a', 'b', 'c', 'd']) {
      for (let i = 0; i < 100; i++) {
        const value = await reader.get<{ writer: string; i: number }>(`${prefix}-${i}`);
        if (value?.writer === prefix && value.i === i) present++;
      }
    }
    expect(present).toBe(400);
    expect(Object.keys(JSON.parse(await readFile(path, 'utf8')).entries).length).toBe(400);
  }, 120_000);

  it('never lets 8 processes hold acquireLock on one key together', async () => {
    const result = await runLockContenders({
      script: lockContender,
      target: [join(directory, 'locks.json')],
      key: 'one-key',
      journal: join(directory, 'journal.log'),
      rounds: 10,
      contenders: 8,
    });
    expect(result).toEqual({ sections: 80, overlaps: 0, pids: 8 });
  }, 120_000);
});
