import type { CacheLock } from '../cache/types.js';
import type { Logger } from '../logging/logger.js';
import type { KalistoTelemetry } from '../telemetry/index.js';
import type { CacheGuard } from './cache-guard.js';
import type { CachedToken } from './cached-token.js';
import type { Sleep } from './retry.js';

/** What the lock step came to: hold the lock, use the holder's token, or neither (fetch unlocked). */
export interface LockOutcome {
  lock?: CacheLock;
  entry?: CachedToken;
}

/** Single flight across processes: one process fetches, the others wait (bounded) for its token. */
export interface CrossProcessLock {
  /** Takes the cache's lock on `key`, or waits for its holder's token — if it is ours to use. */
  lockOrWait(key: string, signal: AbortSignal): Promise<LockOutcome>;
  /** Releases a lock taken by `lockOrWait` (a no-op for none). */
  release(lock: CacheLock | undefined): Promise<void>;
}

export interface CrossProcessLockOptions {
  guard: CacheGuard;
  /** Reads the holder's token, credential-checked (the shared cache's `read`). */
  read(key: string): Promise<CachedToken | undefined>;
  sleep: Sleep;
  /** How long a lock lives if its holder dies. */
  lockTtlMs: number;
  /** How often a waiter looks for the holder's token. */
  pollMs: number;
  /** How many times a waiter looks before fetching a token itself. */
  maxPolls: number;
  logger: Logger;
  /** Times each wait for a holder (`kalisto.token.lock.wait.duration`). */
  telemetry?: KalistoTelemetry | undefined;
}

const BUSY = Symbol('lock busy');

/**
 * The cache backend's lock (`acquireLock(<key>:lock)`) as the token manager uses it. Without a lock
 * (a backend with none, or a cache that is down) every process fetches for itself; a holder that
 * delivers nothing within `maxPolls × pollMs` is given up on with a warning.
 */
export function createCrossProcessLock(options: CrossProcessLockOptions): CrossProcessLock {
  const { guard, read, sleep, lockTtlMs, pollMs, maxPolls, logger, telemetry } = options;

  const tryLock = (key: string): Promise<CacheLock | typeof BUSY | undefined> =>
    guard.use('Taking a lock', undefined, async (backend) => {
      if (backend.acquireLock === undefined) return undefined;
      return (await backend.acquireLock(`${key}:lock`, lockTtlMs)) ?? BUSY;
    });

  return {
    async lockOrWait(key, signal) {
      let lock = await tryLock(key);
      if (lock !== BUSY) return lock === undefined ? {} : { lock };
      const started = performance.now();
      const waited = () => (performance.now() - started) / 1000;
      for (let poll = 0; lock === BUSY && poll < maxPolls; poll++) {
        await sleep(pollMs, signal);
        const entry = await read(key);
        if (entry) {
          telemetry?.tokenLockWait(waited(), 'success');
          return { entry };
        }
        lock = await tryLock(key);
      }
      telemetry?.tokenLockWait(waited(), lock === BUSY ? 'failure' : 'success');
      if (lock === BUSY) {
        logger.warn(
          { key },
          'Another process holds the token lock but delivered no token in time; fetching one here.',
        );
        return {};
      }
      return lock === undefined ? {} : { lock };
    },
    release: (lock) =>
      lock === undefined ? Promise.resolve() : guard.use('Releasing a lock', undefined, () => lock.release()),
  };
}
