// Test helpers for the core runtime (token manager, registries, sessions): a fake clock, a
// scriptable token provider, an in-memory cache backend with locks, hand-built configs, and a
// leak check that sees every log line and error the tests produce.
import { inspect } from 'node:util';
import { expect } from 'vitest';
import type {
  AccessToken,
  CacheBackend,
  CacheLock,
  Logger,
  OAuthSettings,
  ProtocolSettings,
  ResolvedConfig,
} from '../src/index.js';
import { isKalistoError, type KalistoError, Secret, TokenError } from '../src/index.js';
import type { TokenProvider, TokenRequest } from '../src/plugin.js';

/** Values that must never show up in a log line or an error. */
export const FIXTURE_SECRETS = {
  clientSecret: 'fixture-client-secret-Zq8v~K2',
  password: 'fixture-password-Hk7!pQ',
  tokenPrefix: 'fixture-access-token-',
} as const;

// ---- leak check: every recorded log line and error text of this test file

const seenTexts: string[] = [];

/** Remembers an error's message, JSON, inspect output and cause chain for {@link expectNoSecretsSeen}. */
export function recordError(error: unknown): unknown {
  seenTexts.push(inspect(error, { depth: 6 }));
  if (error instanceof Error) seenTexts.push(error.message, JSON.stringify(error));
  return error;
}

/** `promise`'s rejection, recorded for the leak check; fails the test if it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(Error);
  return recordError(outcome) as Error;
}

/** The KalistoError a synchronous call throws, recorded for the leak check. */
export function thrownBy(run: () => unknown): KalistoError {
  try {
    run();
  } catch (error) {
    recordError(error);
    expect(isKalistoError(error)).toBe(true);
    return error as KalistoError;
  }
  throw new Error('expected a throw');
}

/** What a driver throws when its server is down (a network failure: transient). */
export const connectionRefused = (): Error =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: Record<string, unknown>;
  msg: string | undefined;
}

/** A pino-shaped logger that keeps its lines (and feeds the leak check). */
export function recordingLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const make = (bindings: object): Logger => {
    const log =
      (level: LogLine['level']) =>
      (obj: object, msg?: string): void => {
        const line = { level, obj: { ...bindings, ...obj }, msg };
        lines.push(line);
        seenTexts.push(inspect(line, { depth: 8 }), JSON.stringify(line));
      };
    return {
      debug: log('debug'),
      info: log('info'),
      warn: log('warn'),
      error: log('error'),
      child: (more) => make({ ...bindings, ...more }),
    };
  };
  return Object.assign(make({}), { lines });
}

/** Asserts that nothing recorded in this file contains a fixture secret or a fixture token. */
export function expectNoSecretsSeen(): void {
  expect(seenTexts.length).toBeGreaterThan(0);
  const secrets = [FIXTURE_SECRETS.clientSecret, FIXTURE_SECRETS.password, FIXTURE_SECRETS.tokenPrefix];
  // Report where, not what: the failure message itself must not print the secret.
  const leaks = seenTexts.flatMap((text, i) =>
    secrets.some((s) => text.includes(s)) ? [`recorded text #${i}`] : [],
  );
  expect(leaks).toEqual([]);
}

// ---- time

export interface FakeClock {
  now(): number;
  advance(ms: number): void;
}

export function fakeClock(start = Date.UTC(2026, 0, 1)): FakeClock {
  let now = start;
  return {
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
  };
}

/** A sleep that returns at once but records what it was asked to wait (and advances a fake clock). */
export function recordingSleep(clock?: FakeClock): ((ms: number, signal?: AbortSignal) => Promise<void>) & {
  waits: number[];
} {
  const waits: number[] = [];
  const sleep = async (ms: number, signal?: AbortSignal) => {
    signal?.throwIfAborted();
    waits.push(ms);
    clock?.advance(ms);
    await Promise.resolve();
  };
  return Object.assign(sleep, { waits });
}

// ---- configuration

export function testProtocol(protocol: string, overrides: Partial<ProtocolSettings> = {}): ProtocolSettings {
  const ssl = protocol.endsWith('s');
  return {
    protocol,
    host: '127.0.0.1',
    port: 10_000,
    ssl,
    starttls: !ssl,
    starttlsRequired: !ssl,
    minTlsVersion: 'TLSv1.2',
    checkServerIdentity: true,
    maxResponseBytes: 16 * 1024 * 1024,
    saslMechanisms: ['XOAUTH2'],
    auth: true,
    user: 'someone@contoso.example',
    connectionTimeoutMs: 10_000,
    timeoutMs: 10_000,
    from: undefined,
    proxy: undefined,
    providerClass: undefined,
    properties: {},
    ...overrides,
  };
}

export interface TestConfigOverrides {
  oauth?: Partial<OAuthSettings>;
  cacheName?: string | undefined;
  storeProtocol?: string;
  transportProtocol?: string;
  protocols?: Record<string, ProtocolSettings>;
}

/** A resolved configuration built by hand (what resolveConfig returns for a password-grant setup). */
export function testConfig(overrides: TestConfigOverrides = {}): ResolvedConfig {
  const tenant = overrides.oauth?.tenant ?? '161ee23e-798c-481d-975a-39345f76032a';
  const authorityHost = 'https://login.microsoftonline.com';
  const protocols = Object.fromEntries(
    ['imap', 'imaps', 'pop3', 'pop3s', 'smtp', 'smtps'].map((p) => [p, testProtocol(p)]),
  );
  return {
    properties: {},
    sources: {},
    oauth: {
      cloud: 'global',
      authorityHost,
      authority: `${authorityHost}/${tenant}`,
      tenant,
      clientId: '782d2e03-9066-4d59-ab6a-a2cfbc0212a1',
      clientSecret: new Secret(FIXTURE_SECRETS.clientSecret),
      tokenUrl: `${authorityHost}/${tenant}/oauth2/v2.0/token`,
      scopes: ['https://outlook.office.com/.default'],
      flow: 'password',
      provider: 'fake',
      user: 'someone@contoso.example',
      password: new Secret(FIXTURE_SECRETS.password),
      certificate: undefined,
      refreshSkewMs: 300_000,
      timeoutMs: 30_000,
      proxy: undefined,
      ...overrides.oauth,
    },
    cacheName: overrides.cacheName,
    storeProtocol: overrides.storeProtocol ?? 'imap',
    transportProtocol: overrides.transportProtocol ?? 'smtp',
    protocols: { ...protocols, ...overrides.protocols },
    tlsCa: undefined,
    allowInsecureAuth: false,
    debug: false,
    warnings: [],
  };
}

// ---- a scriptable token provider

export type ProviderStep = 'ok' | 'transient' | 'permanent' | 'leaky-raw' | 'network';

export interface FakeProviderOptions {
  clock: FakeClock;
  /** Lifetime of issued tokens, ms (default one hour, like Entra ID). */
  lifetimeMs?: number;
  /** What the next calls do, in order; afterwards every call succeeds. */
  script?: ProviderStep[];
  /** When set, calls wait for `release()` before answering (to hold a flight open). */
  gated?: boolean;
}

export interface FakeProvider extends TokenProvider {
  calls: TokenRequest[];
  /** Lets every gated call answer. */
  release(): void;
  closed: number;
}

/** A token provider with no I/O that issues `fixture-access-token-<n>` and follows a failure script. */
export function fakeProvider(options: FakeProviderOptions): FakeProvider {
  const script = [...(options.script ?? [])];
  const lifetimeMs = options.lifetimeMs ?? 3_600_000;
  const calls: TokenRequest[] = [];
  let gate: { promise: Promise<void>; open: () => void } | undefined;
  if (options.gated) {
    let open = () => {};
    gate = { promise: new Promise<void>((r) => (open = r)), open: () => open() };
  }
  const provider: FakeProvider = {
    name: 'fake',
    calls,
    closed: 0,
    release: () => gate?.open(),
    async getToken(request): Promise<AccessToken> {
      calls.push(request);
      const n = calls.length;
      if (gate) await gate.promise;
      const step = script.shift() ?? 'ok';
      switch (step) {
        case 'transient':
          throw new TokenError('[token:fake] The identity platform is busy (503).', {
            code: 'TOKEN_SERVICE_UNAVAILABLE',
            transient: true,
            status: 503,
          });
        case 'permanent':
          throw new TokenError('[token:fake] AADSTS7000215: Invalid client secret provided.', {
            code: 'TOKEN_INVALID_CLIENT_SECRET',
            aadsts: '7000215',
          });
        case 'network':
          throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:443'), { code: 'ECONNREFUSED' });
        case 'leaky-raw':
          // A careless library echoing the request body in its error.
          throw new Error(
            `POST failed: client_secret=${FIXTURE_SECRETS.clientSecret}&password=${encodeURIComponent(FIXTURE_SECRETS.password)} (${FIXTURE_SECRETS.password})`,
          );
        case 'ok':
          return {
            accessToken: `${FIXTURE_SECRETS.tokenPrefix}${n}`,
            expiresAt: options.clock.now() + lifetimeMs,
            scopes: [...request.scopes],
            ...(request.user === undefined ? {} : { account: request.user }),
          };
      }
    },
    async close() {
      provider.closed++;
    },
  };
  return provider;
}

// ---- an in-memory cache backend with TTLs on the fake clock and optional locks

export interface TestCache extends CacheBackend {
  entries: Map<string, { value: unknown; expiresAt: number }>;
  /** While true, every operation throws (a cache outage). */
  broken: boolean;
  ops: string[];
}

export function testCache(options: { clock: FakeClock; lock?: boolean; name?: string }): TestCache {
  const entries = new Map<string, { value: unknown; expiresAt: number }>();
  const locks = new Map<string, number>();
  const ops: string[] = [];
  const cache: TestCache = {
    name: options.name ?? 'test',
    entries,
    broken: false,
    ops,
    async get<T>(key: string) {
      check('get');
      const entry = entries.get(key);
      if (entry === undefined || entry.expiresAt <= options.clock.now()) return undefined;
      return structuredClone(entry.value) as T;
    },
    async set(key, value, ttlMs) {
      check('set');
      entries.set(key, { value: structuredClone(value), expiresAt: options.clock.now() + ttlMs });
    },
    async delete(key) {
      check('delete');
      entries.delete(key);
    },
    ...(options.lock
      ? {
          async acquireLock(key: string, ttlMs: number): Promise<CacheLock | undefined> {
            check('acquireLock');
            const held = locks.get(key);
            if (held !== undefined && held > options.clock.now()) return undefined;
            locks.set(key, options.clock.now() + ttlMs);
            return { release: async () => void locks.delete(key) };
          },
        }
      : {}),
  };
  function check(op: string) {
    ops.push(op);
    if (cache.broken) {
      throw Object.assign(new Error(`connect ECONNREFUSED 127.0.0.1:6379 (${op})`), { code: 'ECONNREFUSED' });
    }
  }
  return cache;
}
