import { tokenCacheKey, tokenEndpointForKey } from '../cache/key.js';
import type { CacheBackend } from '../cache/types.js';
import { APP_ONLY_FLOWS } from '../config/property-table.js';
import type { ResolvedConfig } from '../config/types.js';
import { createLogger, type Logger } from '../logging/logger.js';
import { configRedactor, type Redactor } from '../logging/redactor.js';
import { type KalistoTelemetry, noopTelemetry, type TokenSource } from '../telemetry/index.js';
import { startBudget } from './budget.js';
import { createCacheGuard } from './cache-guard.js';
import type { CachedToken } from './cached-token.js';
import { type Clock, systemClock, systemTimer, type Timer } from './clock.js';
import {
  type CredentialMaterial,
  type CredentialVerifier,
  createCredentialVerifier,
  credentialMaterial,
} from './credential-verifier.js';
import { createCrossProcessLock } from './cross-process-lock.js';
import { createFlights, raceAbort } from './flights.js';
import { createProviderCall, tokenTimeout } from './provider-call.js';
import { isServable, keepsServingAfter, refreshTime } from './refresh-policy.js';
import { abortableSleep, DEFAULT_RETRY, type RetryOptions, type Sleep } from './retry.js';
import { createSharedTokenCache } from './shared-cache.js';
import type { AccessToken, TokenManager, TokenManagerRequest, TokenProvider } from './types.js';

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
  /** Where token metrics and the `kalisto.token.acquire` span go (default: nowhere). */
  telemetry?: KalistoTelemetry | undefined;
}

/** A token and where it came from (counted by `kalisto.token.acquisitions`). */
interface Acquired {
  token: AccessToken;
  source: TokenSource;
}

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
  const { config, provider } = options;
  const { oauth } = config;
  const redactor = options.redactor ?? configRedactor(config);
  const logger = createLogger(options.logger, redactor);
  const clock = options.clock ?? systemClock;
  const sleep = options.sleep ?? abortableSleep;
  const timer = options.timer ?? systemTimer;
  const telemetry = options.telemetry ?? noopTelemetry;
  // A device-code sign-in waits for a person: no attempt timeout (the provider's own sign-in
  // timeout and the caller's signal bound it) and no retry, which would show a second code.
  const interactive = INTERACTIVE_FLOWS.has(oauth.flow);
  const attemptTimeoutMs = options.attemptTimeoutMs ?? oauth.timeoutMs;
  const deadlineMs = interactive ? Number.POSITIVE_INFINITY : (options.deadlineMs ?? oauth.timeoutMs);
  const lockPollMs = Math.max(1, options.lockPollMs ?? 200);
  // By default a waiter leaves itself half the deadline to fetch a token when the holder died.
  const lockWaitMs = options.lockWaitMs ?? (interactive ? oauth.timeoutMs : deadlineMs / 2);

  const guard = createCacheGuard({
    cache: options.cache,
    logger,
    timeoutMs: options.cacheTimeoutMs ?? 5_000,
    telemetry,
  });
  const shared = createSharedTokenCache({
    guard,
    verifier: options.verifier ?? createCredentialVerifier(options.credential ?? credentialMaterial(oauth)),
    clock,
    logger,
  });
  const crossProcess = createCrossProcessLock({
    guard,
    read: shared.read,
    sleep,
    lockTtlMs: options.lockTtlMs ?? oauth.timeoutMs + 5_000,
    pollMs: lockPollMs,
    maxPolls: Math.max(1, Math.ceil(lockWaitMs / lockPollMs)),
    logger,
    telemetry,
  });
  const callProvider = createProviderCall({
    provider,
    retry: { ...DEFAULT_RETRY, ...options.retry },
    attempt: {
      attemptTimeoutMs,
      interactive,
      timer,
      timedOut: () =>
        tokenTimeout(provider.name, `No answer from the identity platform within ${attemptTimeoutMs} ms.`),
    },
    sleep,
    random: options.random,
    clock,
    logger,
    redactor,
    telemetry,
    flow: oauth.flow,
  });
  const flights = createFlights<Acquired>();
  const memory = new Map<string, CachedToken>();

  const ask = (request: TokenManagerRequest) => ({
    scopes: request.scopes ?? oauth.scopes,
    user: request.user ?? oauth.user,
  });

  const computeKey = (request: TokenManagerRequest): string => {
    const { scopes, user } = ask(request);
    const { authority, tenant, clientId, flow, tokenUrl } = oauth;
    return tokenCacheKey({
      authority,
      tenant,
      clientId,
      flow,
      scopes,
      user: APP_ONLY_FLOWS.has(flow) ? undefined : user,
      tokenUrl: tokenEndpointForKey(authority, tokenUrl),
    });
  };
  // The configured mailbox's key is hashed once: the warm path is a map lookup, not a SHA-256 per call.
  let configuredKey: string | undefined;
  const keyFor = (request: TokenManagerRequest = {}): string => {
    if (request.scopes !== undefined || request.user !== undefined) return computeKey(request);
    configuredKey ??= computeKey(request);
    return configuredKey;
  };

  function remember(key: string, entry: CachedToken): Acquired {
    memory.set(key, entry);
    redactor.add(entry.token.accessToken, { ephemeral: true });
    logger.debug({ key, expiresAt: entry.token.expiresAt, source: 'cache' }, 'Token found.');
    return { token: entry.token, source: 'cache' };
  }

  /** The shared cache, the cross-process lock, then the identity platform, all within `budget`. */
  async function obtain(
    key: string,
    request: TokenManagerRequest,
    force: boolean,
    budget: ReturnType<typeof startBudget>,
  ): Promise<Acquired> {
    if (!force) {
      const cached = await shared.read(key);
      if (cached) return remember(key, cached);
    }
    // A forced refresh replaces a token a server refused: another process's result may be that token.
    const { lock, entry } = force ? {} : await crossProcess.lockOrWait(key, budget.signal);
    if (entry) return remember(key, entry);
    try {
      const again = lock === undefined ? undefined : await shared.read(key);
      if (again) return remember(key, again);
      const token = await callProvider({ ...ask(request), forceRefresh: force }, budget);
      const fresh = { token, refreshAt: refreshTime(token, clock.now(), oauth.refreshSkewMs) };
      memory.set(key, fresh);
      await shared.write(key, fresh);
      logger.debug({ key, expiresAt: token.expiresAt, provider: provider.name }, 'Token obtained.');
      return { token, source: 'provider' };
    } finally {
      await crossProcess.release(lock);
    }
  }

  /** One flight in a `kalisto.token.acquire` span. */
  function fly(key: string, request: TokenManagerRequest, force: boolean, signal: AbortSignal) {
    const attributes = telemetry.enabled
      ? { 'kalisto.token.provider': provider.name, 'kalisto.token.flow': oauth.flow }
      : undefined;
    return telemetry.withSpan('kalisto.token.acquire', attributes, async (span) => {
      const acquired = await flyWithin(key, request, force, signal);
      span.setAttribute('kalisto.token.source', acquired.source);
      return acquired;
    });
  }

  /** One flight: `obtain` within the deadline, or the token held before when a refresh fails transiently. */
  async function flyWithin(
    key: string,
    request: TokenManagerRequest,
    force: boolean,
    signal: AbortSignal,
  ): Promise<Acquired> {
    const budget = startBudget(signal, {
      deadlineMs,
      clock,
      timer,
      expired: () =>
        tokenTimeout(
          provider.name,
          `No token from the identity platform within ${deadlineMs} ms, retries included.`,
        ),
    });
    try {
      return await raceAbort(obtain(key, request, force, budget), budget.signal);
    } catch (error) {
      const held = memory.get(key);
      if (keepsServingAfter(error, held, clock.now(), force)) {
        logger.warn(
          { key, err: error, expiresAt: held.token.expiresAt },
          'Refreshing the token failed; using the current one until it expires.',
        );
        return { token: held.token, source: 'memory' };
      }
      throw error;
    } finally {
      budget.stop();
    }
  }

  return {
    keyFor,
    async getToken(request = {}) {
      const key = keyFor(request);
      const force = request.forceRefresh === true;
      if (!force) {
        const known = memory.get(key);
        if (isServable(known, clock.now())) {
          telemetry.tokenAcquisition(provider.name, 'memory');
          return known.token;
        }
      }
      const flightKey = force ? `${key}#force` : key;
      const joining = flights.has(flightKey);
      const acquired = await flights.join(
        flightKey,
        (signal) => fly(key, request, force, signal),
        request.signal,
      );
      telemetry.tokenAcquisition(provider.name, joining ? 'flight' : acquired.source);
      return acquired.token;
    },
    async invalidate(request = {}) {
      const key = keyFor(request);
      memory.delete(key);
      await shared.deleteOurs(key);
      logger.debug({ key }, 'Token invalidated.');
    },
  };
}
