import { describe, expect, it } from 'vitest';
import { fakeClock, recordingLogger, testCache } from '../../test/runtime-fixtures.js';
import { createCacheGuard } from './cache-guard.js';

describe('createCacheGuard', () => {
  it('answers the fallback without a backend', async () => {
    const guard = createCacheGuard({ cache: undefined, logger: recordingLogger(), timeoutMs: 1_000 });
    expect(guard.enabled).toBe(false);
    expect(await guard.use('Reading the cache', 'fallback', async () => 'never')).toBe('fallback');
  });

  it('turns failures into the fallback, warning once per outage and saying when the cache is back', async () => {
    const cache = testCache({ clock: fakeClock(), name: 'shared' });
    const logger = recordingLogger();
    const guard = createCacheGuard({ cache, logger, timeoutMs: 1_000 });
    cache.broken = true;
    expect(await guard.use('Reading the cache', 'miss', (backend) => backend.get('k'))).toBe('miss');
    expect(await guard.use('Reading the cache', 'miss', (backend) => backend.get('k'))).toBe('miss');
    cache.broken = false;
    await guard.use('Writing the cache', undefined, (backend) => backend.set('k', 'v', 1_000));
    expect(await guard.use('Reading the cache', 'miss', (backend) => backend.get('k'))).toBe('v');
    expect(logger.lines.map(({ level, msg }) => [level, msg])).toEqual([
      ['warn', 'Token cache "shared" failed; carrying on without it until it answers again.'],
      ['info', 'Token cache "shared" answers again; using it.'],
    ]);
    expect(logger.lines[0]?.obj).toMatchObject({ cache: 'shared', err: { code: 'CACHE_UNAVAILABLE' } });
  });

  it('treats a backend that never answers as down after the timeout', async () => {
    const cache = testCache({ clock: fakeClock(), name: 'hung' });
    const logger = recordingLogger();
    const guard = createCacheGuard({ cache, logger, timeoutMs: 20 });
    const answer = await guard.use('Reading the cache', 'miss', () => new Promise<string>(() => {}));
    expect(answer).toBe('miss');
    expect(logger.lines[0]?.obj).toMatchObject({
      err: { message: expect.stringContaining('no answer within 20 ms') },
    });
  });
});
