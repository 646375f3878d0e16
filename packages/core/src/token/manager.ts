import { tokenCacheKey } from '../cache/key.js';
import type { CacheBackend, CacheLock } from '../cache/types.js';
import type { ResolvedConfig } from '../config/types.js';
import { TokenError } from '../errors/errors.js';
import { wrapPluginError } from '../errors/plugin-error.js';
import type { Logger } from '../logging/logger.js';
import { createLogger } from '../logging/logger.js';
import { createRedactor, type Redactor, redactErrorChain } from '../logging/redactor.js';
import { type CachedToken, parseCachedToken, type SharedCachedToken, tokenBinding } from './cached-token.js';
import {
  type CredentialMaterial,
  type CredentialVerifier,
  createCredentialVerifier,
  credentialMaterial,
} from './credential-verifier.js';
import {
  abortableSleep,
  DEFAULT_RETRY,
  isTransientError,
  type RetryOptions,
  type Sleep,
  withRetry,
} from './retry.js';
import type { AccessToken, TokenManager, TokenManagerRequest, TokenProvider } from './types.js';

/** A source of the current time (epoch ms); replaced by a fake one in tests. */
export interface Clock {
  now(): number;
}

/** The real time. */
export const systemClock: Clock = { now: () => Date.now() };

/** Calls `onTimeout` after `ms` unless the returned function is called first; replaced in tests. */
export type Timer = (ms: number, onTimeout: () => void) => () => void;

/** Real timers that do not keep the process alive. */
export const systemTimer: Timer = (ms, onTimeout) => {
  const handle = setTimeout(onTimeout, ms);
  handle.unref?.();
  return () => clearTimeout(handle);
};

export interface TokenManagerOptions {
  config: ResolvedConfig;
  provider: TokenProvider;
  /** The shared cache; without one, tokens live in this manager's memory only. */
  cache?: CacheBackend | undefined;
  logger?: Logger | undefined;
  clock?: Clock | undefined;
  /** Used for retry backoff and lock polling; replaceable for tests. */
  sleep?: Sleep | undefined;
  /** Jitter source for retry backoff; replaceable for tests. */
  random?: (() => number) | undefined;
  /** Bounds for retrying transient provider failures (default: 2 retries, 250 ms base, 5 s cap). */
  retry?: Partial<RetryOptions> | undefined;
  /** How long a cross-process lock lives if its holder dies (default `o365.oauth` timeout + 5 s). */
  lockTtlMs?: number | undefined;
  /** How long to wait for another process's token before fetching one anyway (default: half the deadline). */
  lockWaitMs?: number | undefined;
  /** How often a waiting manager looks for the lock holder's token (default 200 ms). */
  lockPollMs?: number | undefined;
  /** Longest wait for one cache operation before treating the cache as down (default 5 s). */
  cacheTimeoutMs?: number | undefined;
  /** Longest wait for one provider attempt (default `kalisto.oauth.timeout`, 30 s), within the deadline. */
  attemptTimeoutMs?: number | undefined;
  /**
   * Longest one token request may take — lock waiting, every attempt and every backoff included —
   * before it fails with `TOKEN_TIMEOUT` (default `kalisto.oauth.timeout`, 30 s). A device code
   * sign-in, which waits for a person, has none.
   */
  deadlineMs?: number | undefined;
  /** Schedules the deadline and attempt timeouts; replaceable for tests. */
  timer?: Timer | undefined;
  /**
   * The credential cached tokens are bound to. Default: `credentialMaterial(config.oauth)` (client
   * secret or certificate, and the password for the password flow); a session adds what its token
   * provider declares (`TokenProviderContext.bindCredential`).
   */
  credential?: CredentialMaterial | undefined;
  /** Checks and signs the credential binding of shared entries; replaceable for tests. */
  verifier?: CredentialVerifier | undefined;
  /**
   * Scrubs log lines and wrapped errors; told every token obtained. Default: one that knows the
   * config's secrets (createSession passes the one its logger uses).
   */
  redactor?: Redactor | undefined;
}

/** The time left to one token request, and the signal that aborts it when that runs out. */
interface Budget {
  signal: AbortSignal;
  /** Milliseconds left (Infinity without a deadline). */
  remaining(): number;
}

interface Flight {
  promise: Promise<AccessToken>;
  controller: AbortController;
  /** Callers still waiting; when the last one aborts, the flight is aborted. */
  waiters: number;
}

const BUSY = Symbol('lock busy');

// App-only grants get the same token whatever mailbox it is used for, so their key leaves the user out.
const APP_ONLY_FLOWS = new Set(['client_credentials', 'managed_identity']);
/** Flows that wait for a person to sign in. */
const INTERACTIVE_FLOWS = new Set(['device_code']);

/**
 * Creates the session's {@link TokenManager}. A token is looked up in this manager's memory, then
 * the shared cache; on a miss one request per key is in flight in this process (a `Map` of
 * promises) and, when the cache can lock, across processes (the others poll the cache for the
 * holder's token for at most `lockWaitMs`, then fetch themselves). Transient provider failures are
 * retried with bounded, jittered backoff; permanent ones are not.
 *
 * Freshness: a token is served until `expiresAt − skew` (skew: `kalisto.token.refreshSkew`, or half
 * the token's lifetime when that is shorter), then refreshed. If that refresh fails transiently, the
 * old token is returned while it is still valid (inside the skew window) and a warning is logged;
 * an expired token is never returned. The shared cache keeps an entry only until its refresh time.
 *
 * A shared entry is served only to a caller presenting the credential that obtained it: the entry
 * carries a verifier (an HMAC under a key scrypt derives from the credential, a random salt and the
 * cache key) and a mismatch is a miss, which the identity platform decides. The first read of an
 * entry costs one scrypt; later reads of it, and every hit in this manager's memory, cost none.
 *
 * Bounds: a request has one deadline (`deadlineMs`) shared by lock waiting, attempts and backoff;
 * a server's Retry-After is waited for only when it fits (see `withRetry`).
 *
 * A failing cache never fails `getToken`: the manager logs one warning per outage, carries on
 * without it and uses it again as soon as it answers.
 */
export function createTokenManager(options: TokenManagerOptions): TokenManager {
  const { config, provider, cache } = options;
  const { oauth } = config;
  const redactor =
    options.redactor ?? createRedactor([oauth.clientSecret, oauth.password, oauth.certificate?.privateKey]);
  const logger = createLogger(options.logger, redactor);
  const clock = options.clock ?? systemClock;
  const wait = options.sleep ?? abortableSleep;
  const retry: RetryOptions = { ...DEFAULT_RETRY, ...options.retry };
  const skewMs = config.oauth.refreshSkewMs;
  // A device-code sign-in waits for a person: no attempt timeout (the provider's own sign-in
  // timeout and the caller's signal bound it) and no retry, which would show a second code.
  const interactive = INTERACTIVE_FLOWS.has(config.oauth.flow);
  const attemptTimeoutMs = options.attemptTimeoutMs ?? config.oauth.timeoutMs;
  const deadlineMs = interactive ? Number.POSITIVE_INFINITY : (options.deadlineMs ?? config.oauth.timeoutMs);
  const timer = options.timer ?? systemTimer;
  const lockTtlMs = options.lockTtlMs ?? config.oauth.timeoutMs + 5_000;
  const lockPollMs = Math.max(1, options.lockPollMs ?? 200);
  // By default a waiter leaves itself half the deadline to fetch a token when the holder died.
  const lockWaitMs = options.lockWaitMs ?? (interactive ? config.oauth.timeoutMs : deadlineMs / 2);
  const maxPolls = Math.max(1, Math.ceil(lockWaitMs / lockPollMs));
  const cacheTimeoutMs = options.cacheTimeoutMs ?? 5_000;
  const verifier =
    options.verifier ?? createCredentialVerifier(options.credential ?? credentialMaterial(oauth));

  const memory = new Map<string, CachedToken>();
  const flights = new Map<string, Flight>();
  let cacheDown = false;

  const resolve = (request: TokenManagerRequest) => ({
    scopes: request.scopes ?? config.oauth.scopes,
    user: request.user ?? config.oauth.user,
  });

  const keyFor = (request: TokenManagerRequest = {}): string => {
    const { scopes, user } = resolve(request);
    const { authority, tenant, clientId, flow } = config.oauth;
    return tokenCacheKey({
      authority,
      tenant,
      clientId,
      flow,
      scopes,
      user: APP_ONLY_FLOWS.has(flow) ? undefined : user,
    });
  };

  const servable = (entry: CachedToken | undefined): entry is CachedToken => {
    const now = clock.now();
    return entry !== undefined && now < entry.refreshAt && now < entry.token.expiresAt;
  };

  // ---- the shared cache, guarded: failures and hangs become a miss, logged once per outage

  async function useCache<T>(
    action: string,
    fallback: T,
    run: (backend: CacheBackend) => Promise<T>,
  ): Promise<T> {
    if (cache === undefined) return fallback;
    try {
      const result = await withTimeout(
        run(cache),
        cacheTimeoutMs,
        () => new Error(`no answer within ${cacheTimeoutMs} ms`),
      );
      if (cacheDown) {
        cacheDown = false;
        logger.info({ cache: cache.name }, `Token cache "${cache.name}" answers again; using it.`);
      }
      return result;
    } catch (error) {
      if (!cacheDown) {
        cacheDown = true;
        const err = wrapPluginError(error, { kind: 'cache', name: cache.name, action });
        logger.warn(
          { cache: cache.name, err },
          `Token cache "${cache.name}" failed; carrying on without it until it answers again.`,
        );
      }
      return fallback;
    }
  }

  /** The shared entry, if it is servable and was obtained with this manager's credential. */
  async function readCache(key: string): Promise<CachedToken | undefined> {
    const entry = parseCachedToken(
      await useCache('Reading the cache', undefined, (backend) => backend.get(key)),
    );
    if (!servable(entry)) return undefined;
    const { verifier: record, ...cached } = entry;
    if (await verifier.verify(key, tokenBinding(cached), record)) return cached;
    logger.debug({ key }, 'The cached token was obtained with another credential; not using it.');
    return undefined;
  }

  async function writeCache(key: string, entry: CachedToken): Promise<void> {
    if (cache === undefined) return;
    let shared: SharedCachedToken;
    try {
      shared = { ...entry, verifier: await verifier.sign(key, tokenBinding(entry)) };
    } catch (err) {
      logger.warn(
        { key, err },
        'Could not bind the token to its credential; not sharing it through the cache.',
      );
      return;
    }
    const ttlMs = entry.refreshAt - clock.now();
    if (ttlMs > 0)
      await useCache('Writing the cache', undefined, (backend) => backend.set(key, shared, ttlMs));
  }

  const tryLock = (key: string): Promise<CacheLock | typeof BUSY | undefined> =>
    useCache('Taking a lock', undefined, async (backend) => {
      if (backend.acquireLock === undefined) return undefined;
      return (await backend.acquireLock(`${key}:lock`, lockTtlMs)) ?? BUSY;
    });

  const release = (lock: CacheLock | undefined) =>
    lock === undefined ? Promise.resolve() : useCache('Releasing a lock', undefined, () => lock.release());

  /** Takes the cross-process lock, or waits (bounded) for its holder's token — if it is ours to use. */
  async function lockOrWait(
    key: string,
    signal: AbortSignal,
  ): Promise<{ lock?: CacheLock; entry?: CachedToken }> {
    let lock = await tryLock(key);
    for (let poll = 0; lock === BUSY && poll < maxPolls; poll++) {
      await wait(lockPollMs, signal);
      const entry = await readCache(key);
      if (entry) return { entry };
      lock = await tryLock(key);
    }
    if (lock === BUSY) {
      logger.warn(
        { key },
        'Another process holds the token lock but delivered no token in time; fetching one here.',
      );
      return {};
    }
    return lock === undefined ? {} : { lock };
  }

  // ---- the identity platform

  async function fromProvider(request: TokenManagerRequest, forceRefresh: boolean, budget: Budget) {
    const { scopes, user } = resolve(request);
    const { signal } = budget;
    const token = await withRetry(
      () =>
        attempt(budget, (attemptSignal) =>
          provider.getToken({
            scopes,
            ...(user === undefined ? {} : { user }),
            forceRefresh,
            signal: attemptSignal,
          }),
        ),
      interactive ? { ...retry, retries: 0 } : retry,
      {
        signal,
        sleep: wait,
        random: options.random,
        remainingMs: budget.remaining,
        onRetry: ({ attempt: n, delayMs, error }) =>
          logger.warn(
            { provider: provider.name, attempt: n, delayMs, err: error },
            'Token request failed; retrying.',
          ),
      },
    ).catch((error: unknown) => {
      // A provider's own TokenError passes through wrapPluginError as it is: it may quote a server
      // text that echoes the secret, so the whole chain is scrubbed here.
      throw redactErrorChain(
        wrapPluginError(error, { kind: 'token', name: provider.name, action: 'Getting a token', redactor }),
        redactor,
      );
    });
    if (!(token.expiresAt > clock.now())) {
      throw new TokenError(
        `[token:${provider.name}] The identity platform returned a token that has already expired; check this machine's clock.`,
        {
          code: 'TOKEN_EXPIRED_ON_ARRIVAL',
          provider: provider.name,
          hint: "Check this machine's clock (NTP); tokens are compared with local time.",
        },
      );
    }
    redactor.add(token.accessToken, { ephemeral: true });
    return token;
  }

  /**
   * One provider attempt, aborted after `attemptTimeoutMs` or when the deadline passes, whichever
   * comes first (a transient failure), or with the flight.
   */
  async function attempt<T>(budget: Budget, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const { signal } = budget;
    if (interactive) return raceAbort(run(signal), signal);
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    // When the deadline comes first, it aborts the attempt (through `signal`) with its own message.
    const cancel =
      attemptTimeoutMs < budget.remaining()
        ? timer(attemptTimeoutMs, () =>
            controller.abort(
              timeoutError(`No answer from the identity platform within ${attemptTimeoutMs} ms.`),
            ),
          )
        : () => {};
    try {
      return await raceAbort(run(controller.signal), controller.signal);
    } finally {
      cancel();
      signal.removeEventListener('abort', onAbort);
    }
  }

  function timeoutError(what: string): TokenError {
    return new TokenError(`[token:${provider.name}] ${what}`, {
      code: 'TOKEN_TIMEOUT',
      provider: provider.name,
      transient: true,
      hint: 'Check network access to the identity platform (o365.oauth.authority, kalisto.oauth.proxy); kalisto.oauth.timeout bounds each token request.',
    });
  }

  /** The flight's budget: aborts with `TOKEN_TIMEOUT` when `deadlineMs` has passed, or with the flight. */
  function startBudget(flightSignal: AbortSignal): Budget & { stop(): void } {
    const controller = new AbortController();
    const onAbort = () => controller.abort(flightSignal.reason);
    flightSignal.addEventListener('abort', onAbort, { once: true });
    if (flightSignal.aborted) onAbort();
    const endsAt = clock.now() + deadlineMs;
    const cancel = Number.isFinite(deadlineMs)
      ? timer(deadlineMs, () =>
          controller.abort(
            timeoutError(`No token from the identity platform within ${deadlineMs} ms, retries included.`),
          ),
        )
      : () => {};
    return {
      signal: controller.signal,
      remaining: () => endsAt - clock.now(),
      stop() {
        cancel();
        flightSignal.removeEventListener('abort', onAbort);
      },
    };
  }

  // ---- one flight per key

  /** Cache, lock, then the identity platform, all within `budget`. */
  async function obtain(key: string, request: TokenManagerRequest, force: boolean, budget: Budget) {
    if (!force) {
      const cached = await readCache(key);
      if (cached) return remember(key, cached, 'cache');
    }
    // A forced refresh replaces a token a server refused: another process's result may be that token.
    const { lock, entry } = force ? {} : await lockOrWait(key, budget.signal);
    if (entry) return remember(key, entry, 'cache');
    try {
      const again = lock === undefined ? undefined : await readCache(key);
      if (again) return remember(key, again, 'cache');
      const token = await fromProvider(request, force, budget);
      const fresh = { token, refreshAt: refreshTime(token, clock.now(), skewMs) };
      memory.set(key, fresh);
      await writeCache(key, fresh);
      logger.debug({ key, expiresAt: token.expiresAt, provider: provider.name }, 'Token obtained.');
      return token;
    } finally {
      await release(lock);
    }
  }

  async function fly(key: string, request: TokenManagerRequest, force: boolean, signal: AbortSignal) {
    const budget = startBudget(signal);
    try {
      return await raceAbort(obtain(key, request, force, budget), budget.signal);
    } catch (error) {
      const old = memory.get(key);
      if (!force && old !== undefined && isTransientError(error) && clock.now() < old.token.expiresAt) {
        logger.warn(
          { key, err: error, expiresAt: old.token.expiresAt },
          'Refreshing the token failed; using the current one until it expires.',
        );
        return old.token;
      }
      throw error;
    } finally {
      budget.stop();
    }
  }

  function remember(key: string, entry: CachedToken, source: string): AccessToken {
    memory.set(key, entry);
    redactor.add(entry.token.accessToken, { ephemeral: true });
    logger.debug({ key, expiresAt: entry.token.expiresAt, source }, 'Token found.');
    return entry.token;
  }

  function startFlight(flightKey: string, key: string, request: TokenManagerRequest, force: boolean): Flight {
    const controller = new AbortController();
    const flight: Flight = { controller, waiters: 0, promise: undefined as unknown as Promise<AccessToken> };
    flight.promise = fly(key, request, force, controller.signal).finally(() => {
      if (flights.get(flightKey) === flight) flights.delete(flightKey);
    });
    // Rejections reach each waiter through join(); this keeps an abandoned flight from being "unhandled".
    flight.promise.catch(() => {});
    flights.set(flightKey, flight);
    return flight;
  }

  /** Waits for a flight; when every waiter has given up (aborted), the flight itself is aborted. */
  async function join(flight: Flight, signal: AbortSignal | undefined): Promise<AccessToken> {
    signal?.throwIfAborted();
    flight.waiters++;
    try {
      return await (signal === undefined ? flight.promise : raceAbort(flight.promise, signal));
    } finally {
      flight.waiters--;
      if (signal?.aborted && flight.waiters === 0) flight.controller.abort(signal.reason);
    }
  }

  return {
    keyFor,
    async getToken(request = {}) {
      const key = keyFor(request);
      const force = request.forceRefresh === true;
      if (!force) {
        const known = memory.get(key);
        if (servable(known)) return known.token;
      }
      const flightKey = force ? `${key}#force` : key;
      const flight = flights.get(flightKey) ?? startFlight(flightKey, key, request, force);
      return join(flight, request.signal);
    },
    async invalidate(request = {}) {
      const key = keyFor(request);
      memory.delete(key);
      // Only an entry of this credential: another credential's token is not ours to throw away.
      const ours = await readCache(key);
      if (ours !== undefined) {
        await useCache('Deleting from the cache', undefined, (backend) => backend.delete(key));
      }
      logger.debug({ key }, 'Token invalidated.');
    },
  };
}

/**
 * When a token obtained at `now` stops being served: `skewMs` before expiry, or half-way through its
 * lifetime when that is shorter (so a short-lived token is not refetched on every call).
 */
export function refreshTime(token: AccessToken, now: number, skewMs: number): number {
  const lifetime = Math.max(0, token.expiresAt - now);
  return token.expiresAt - Math.min(skewMs, lifetime / 2);
}

/** `promise`, or a rejection with the signal's reason as soon as it aborts. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** `promise`, or a rejection after `ms` (the timer does not keep the process alive). */
function withTimeout<T>(promise: Promise<T>, ms: number, timeoutError: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(timeoutError()), ms);
    timer.unref?.();
    promise.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}
