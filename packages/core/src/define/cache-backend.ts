import { checkCacheTtl } from '../cache/ttl.js';
import type { CacheBackend, CacheLock } from '../cache/types.js';
import { CacheError } from '../errors/errors.js';
import { wrapPluginError } from '../errors/plugin-error.js';
import { checkMethods, checkName, invalidPlugin, once } from './checks.js';

type MaybePromise<T> = T | Promise<T>;

/**
 * What you pass to {@link defineCacheBackend}: a {@link CacheBackend} whose methods may also answer
 * synchronously (a store in memory need not allocate a promise per hit: the helper makes one).
 * Asynchronous answers are native promises (what an `async` method returns).
 */
export interface CacheBackendDefinition {
  readonly name: string;
  get<T = unknown>(key: string): MaybePromise<T | undefined>;
  /** Gets `ttlMs` already checked: a whole number of milliseconds > 0. */
  set(key: string, value: unknown, ttlMs: number): MaybePromise<void>;
  delete(key: string): MaybePromise<void>;
  acquireLock?(key: string, ttlMs: number): MaybePromise<CacheLock | undefined>;
  close?(): MaybePromise<void>;
  readonly encrypted?: boolean;
}

type PresentMembers<B> = Extract<keyof B, keyof CacheBackend>;
type CertainMembers<B> = {
  [K in PresentMembers<B>]-?: undefined extends B[K] ? never : K;
}[PresentMembers<B>];

/**
 * What `defineCacheBackend(backend)` returns: the {@link CacheBackend} members `backend` has, typed as
 * the interface declares them (an `acquireLock` or `close` it certainly has is not optional).
 */
export type DefinedCacheBackend<B> = Readonly<
  Pick<CacheBackend, PresentMembers<B>> & Required<Pick<CacheBackend, CertainMembers<B>>>
>;

/**
 * A member `CacheBackend` does not have (a misspelt `acquirelock`, a helper of yours) is a type error:
 * the defined backend exposes only the interface, so it would be silently lost.
 */
type OnlyCacheBackendMembers<B> = { [K in Exclude<keyof B, keyof CacheBackend>]: never };

const CACHE_METHODS = ['get', 'set', 'delete'] as const;
const CACHE_OPTIONAL_METHODS = ['acquireLock', 'close'] as const;

/**
 * Defines a cache backend from one object — `{ name, get, set, delete, acquireLock?, close?, encrypted? }` —
 * and returns the backend itself, ready for `createKalisto({ caches })`; a factory of yours is a
 * function that calls it (`const mapCache = (options) => defineCacheBackend({ … })`). It checks the
 * object now (an error naming a missing method), and then:
 * - turns whatever a method throws into a `CacheError` prefixed `[cache:<name>]` (`CACHE_UNAVAILABLE`,
 *   the cause reduced to its name, first line and code: a driver's error may carry cached values);
 *   Kalisto errors the backend throws itself pass through;
 * - rejects a TTL that is not a positive number of ms (`CACHE_INVALID_TTL`) before `set` or
 *   `acquireLock` runs, and hands them the TTL rounded up to whole ms;
 * - when the backend has `close()`: makes it idempotent and fails every call after it with
 *   `CACHE_CLOSED`; a lock's `release()` runs at most once;
 * - passes `encrypted` through, read-only (`createKalisto` warns when it is `false`; `kalisto doctor`
 *   reports it).
 */
export function defineCacheBackend<B extends CacheBackendDefinition>(
  backend: B & OnlyCacheBackendMembers<B>,
): DefinedCacheBackend<B> {
  const name = (backend as Partial<CacheBackendDefinition> | undefined)?.name;
  checkName('cache', name);
  checkMethods('cache', name, 'cache backend', backend, CACHE_METHODS, CACHE_OPTIONAL_METHODS);
  const { encrypted, acquireLock, close } = backend;
  if (encrypted !== undefined && typeof encrypted !== 'boolean') {
    throw invalidPlugin(
      'cache',
      name,
      `A cache backend's "encrypted" is true, false or absent (got ${typeof encrypted}).`,
    );
  }
  let closed = false;
  const wrap = (action: string) => (error: unknown) =>
    wrapPluginError(error, { kind: 'cache', name, action });
  const reading = wrap('Reading the cache');
  const failRead = (error: unknown): never => {
    throw reading(error);
  };
  /** One call of the backend, sync or async: a Kalisto error for anything it throws. */
  const run = <T>(action: string, call: () => MaybePromise<T>): Promise<T> => {
    if (closed) return Promise.reject(closedCacheError(name));
    const fail = wrap(action);
    try {
      return Promise.resolve(call()).then(undefined, (error: unknown) => {
        throw fail(error);
      });
    } catch (error) {
      return Promise.reject(fail(error));
    }
  };
  const wrapLock = (lock: CacheLock | undefined): CacheLock | undefined => {
    if (lock === undefined) return undefined;
    checkMethods('cache', name, 'lock from acquireLock()', lock, ['release']);
    return { release: once(() => run('Releasing a lock', () => lock.release())) };
  };
  const defined: CacheBackend = {
    name,
    // The hot path, written out: a value answered synchronously costs one resolved promise.
    get<T>(key: string): Promise<T | undefined> {
      if (closed) return Promise.reject(closedCacheError(name));
      try {
        const answer = backend.get<T>(key);
        // Only a native promise is chained (a thenable is adopted as is): the hit path stays one promise.
        return answer instanceof Promise ? answer.then(undefined, failRead) : Promise.resolve(answer);
      } catch (error) {
        return Promise.reject(reading(error));
      }
    },
    set: (key, value, ttlMs) =>
      run('Writing the cache', () => backend.set(key, value, checkCacheTtl(name, ttlMs))),
    delete: (key) => run('Deleting from the cache', () => backend.delete(key)),
    ...(acquireLock === undefined
      ? {}
      : {
          acquireLock: (key: string, ttlMs: number) =>
            run('Taking a lock', () => acquireLock.call(backend, key, checkCacheTtl(name, ttlMs))).then(
              wrapLock,
            ),
        }),
    ...(close === undefined
      ? {}
      : {
          close: once(() => {
            const closing = run('Closing the cache', () => close.call(backend));
            closed = true;
            return closing;
          }),
        }),
    ...(encrypted === undefined ? {} : { encrypted }),
  };
  return Object.freeze(defined) as DefinedCacheBackend<B>;
}

/**
 * Checks what `createKalisto({ caches })` was given under `registeredAs`: a cache backend, not the
 * factory that makes one (`memoryCache` where `memoryCache()` belongs).
 */
export function checkCacheBackend(registeredAs: string, value: unknown): asserts value is CacheBackend {
  if (typeof value === 'function') {
    throw invalidPlugin(
      'cache',
      registeredAs,
      `Got a function where a cache backend belongs: pass ${value.name || 'the factory'}() (the backend it returns), not the factory.`,
    );
  }
  checkMethods('cache', registeredAs, 'cache backend', value, CACHE_METHODS, CACHE_OPTIONAL_METHODS);
}

/** The error of any call to a cache backend after its `close()`. */
function closedCacheError(backend: string): CacheError {
  return new CacheError(`[cache:${backend}] The cache was closed; create a new one to use it again.`, {
    code: 'CACHE_CLOSED',
    backend,
    hint: 'Do not use a cache backend after calling close() on it (createKalisto().close() closes its caches).',
  });
}
