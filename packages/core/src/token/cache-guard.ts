import type { CacheBackend } from '../cache/types.js';
import { wrapPluginError } from '../errors/plugin-error.js';
import type { Logger } from '../logging/logger.js';
import type { CacheOperation, CacheResult, KalistoTelemetry } from '../telemetry/index.js';

/** What the token manager does with the cache, and the operation each is counted as. */
const ACTIONS = {
  'Reading the cache': 'get',
  'Writing the cache': 'set',
  'Deleting from the cache': 'delete',
  'Taking a lock': 'lock',
  'Releasing a lock': 'unlock',
} as const satisfies Record<string, CacheOperation>;

export type CacheAction = keyof typeof ACTIONS;

/** The shared cache as the token manager uses it: a failure or a hang is a fallback, never an error. */
export interface CacheGuard {
  /** Whether there is a backend at all (without one, every `use` is its fallback). */
  readonly enabled: boolean;
  /** Runs `run` on the backend; its result, or `fallback` without a backend, on failure or after the timeout. */
  use<T>(action: CacheAction, fallback: T, run: (backend: CacheBackend) => Promise<T>): Promise<T>;
}

export interface CacheGuardOptions {
  cache: CacheBackend | undefined;
  logger: Logger;
  /** Longest wait for one operation before treating the cache as down. */
  timeoutMs: number;
  /** Counts every operation by backend and result (`kalisto.cache.operations`). */
  telemetry?: KalistoTelemetry | undefined;
}

/**
 * How an answer counts: a read finds an entry or not; a lock is taken or busy (a symbol from the
 * caller), or not counted when the backend has no locks (`undefined`).
 */
function resultOf(operation: CacheOperation, answer: unknown): CacheResult | undefined {
  if (operation === 'get') return answer === undefined ? 'miss' : 'hit';
  if (operation === 'lock')
    return answer === undefined ? undefined : typeof answer === 'symbol' ? 'busy' : 'ok';
  return 'ok';
}

/**
 * Guards the shared cache: failures and hangs become a fallback, logged once per outage (one warning
 * when it fails, one info line when it answers again); the next call tries it again. Every operation
 * is counted here, so a custom backend is counted like ours; a hang counts as an error.
 */
export function createCacheGuard({ cache, logger, timeoutMs, telemetry }: CacheGuardOptions): CacheGuard {
  let down = false;
  return {
    enabled: cache !== undefined,
    async use(action, fallback, run) {
      if (cache === undefined) return fallback;
      try {
        const result = await withTimeout(
          run(cache),
          timeoutMs,
          () => new Error(`no answer within ${timeoutMs} ms`),
        );
        if (telemetry?.enabled) {
          const counted = resultOf(ACTIONS[action], result);
          if (counted !== undefined) telemetry.cacheOperation(cache.name, ACTIONS[action], counted);
        }
        if (down) {
          down = false;
          logger.info({ cache: cache.name }, `Token cache "${cache.name}" answers again; using it.`);
        }
        return result;
      } catch (error) {
        telemetry?.cacheOperation(cache.name, ACTIONS[action], 'error');
        if (!down) {
          down = true;
          const err = wrapPluginError(error, { kind: 'cache', name: cache.name, action });
          logger.warn(
            { cache: cache.name, err },
            `Token cache "${cache.name}" failed; carrying on without it until it answers again.`,
          );
        }
        return fallback;
      }
    },
  };
}

/** `promise`, or a rejection after `ms` (the timer does not keep the process alive). */
function withTimeout<T>(promise: Promise<T>, ms: number, timeoutError: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(timeoutError()), ms);
    timer.unref?.();
    promise.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}
