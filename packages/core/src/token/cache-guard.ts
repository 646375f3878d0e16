import type { CacheBackend } from '../cache/types.js';
import { wrapPluginError } from '../errors/plugin-error.js';
import type { Logger } from '../logging/logger.js';

/** The shared cache as the token manager uses it: a failure or a hang is a fallback, never an error. */
export interface CacheGuard {
  /** Whether there is a backend at all (without one, every `use` is its fallback). */
  readonly enabled: boolean;
  /** Runs `run` on the backend; its result, or `fallback` without a backend, on failure or after the timeout. */
  use<T>(action: string, fallback: T, run: (backend: CacheBackend) => Promise<T>): Promise<T>;
}

export interface CacheGuardOptions {
  cache: CacheBackend | undefined;
  logger: Logger;
  /** Longest wait for one operation before treating the cache as down. */
  timeoutMs: number;
}

/**
 * Guards the shared cache: failures and hangs become a fallback, logged once per outage (one warning
 * when it fails, one info line when it answers again); the next call tries it again.
 */
export function createCacheGuard({ cache, logger, timeoutMs }: CacheGuardOptions): CacheGuard {
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
        if (down) {
          down = false;
          logger.info({ cache: cache.name }, `Token cache "${cache.name}" answers again; using it.`);
        }
        return result;
      } catch (error) {
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
