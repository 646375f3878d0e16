import { checkCacheTtl } from '../cache/ttl.js';
import type { CacheBackend, CacheLock } from '../cache/types.js';
import type { ResolvedConfig } from '../config/types.js';
import {
  CacheError,
  ConfigError,
  ConnectionError,
  isKalistoError,
  KalistoError,
  TokenError,
} from '../errors/errors.js';
import { createRedactor, type Redactor } from '../logging/logging.js';
import type { ProtocolContext, ProtocolProvider, ProtocolType } from '../protocol/types.js';
import { isTransientError } from '../token/retry.js';
import type {
  AccessToken,
  TokenProvider,
  TokenProviderContext,
  TokenProviderDefinition,
} from '../token/types.js';

/** The three kinds of plugin; the label `[kind:name]` prefixes every message a plugin's failure produces. */
export type PluginKind = 'cache' | 'token' | 'protocol';

/** Where a failure happened, for {@link wrapPluginError}. */
export interface PluginFailure {
  kind: PluginKind;
  /** The plugin's name: backend name, token provider name or protocol. */
  name: string;
  /** What was being done, e.g. `Reading the cache`. */
  action: string;
  /** Scrubs known secrets from the message and cause (credential-looking strings always are). */
  redactor?: Redactor;
  /** For protocol failures: where the connection went. */
  host?: string;
  port?: number;
}

/**
 * Turns anything a plugin throws into the matching Kalisto error — CacheError, TokenError or
 * ConnectionError — prefixed `[kind:name]`, marked transient when it is a network failure, with the
 * original as `cause` (a redacted copy if its text held a secret). Kalisto errors and aborts pass through.
 */
export function wrapPluginError(error: unknown, failure: PluginFailure): unknown {
  if (isKalistoError(error) || isAbort(error)) return error;
  const redactor = failure.redactor ?? createRedactor();
  const detail = redactor.text(error instanceof Error ? error.message : String(error));
  // A cache driver's error may carry the command and its arguments (cached values): only its gist is kept.
  const cause = failure.kind === 'cache' ? scrubbedError(error, redactor) : sanitizeCause(error, redactor);
  const label = `[${failure.kind}:${failure.name}]`;
  const transient = isTransientError(error);
  switch (failure.kind) {
    case 'cache':
      return new CacheError(
        `${label} ${failure.action} failed: ${detail}. Check that the cache is reachable; tokens keep coming from the identity platform meanwhile.`,
        { code: 'CACHE_UNAVAILABLE', backend: failure.name, cause },
      );
    case 'token':
      return new TokenError(`${label} ${failure.action} failed: ${detail}`, {
        code: transient ? 'TOKEN_NETWORK' : 'TOKEN_PROVIDER_FAILED',
        provider: failure.name,
        transient,
        cause,
        hint: transient
          ? 'Check network access to the identity platform (o365.oauth.authority, kalisto.oauth.proxy).'
          : 'See the cause; report it to the token provider plugin if it is not a configuration problem.',
      });
    case 'protocol':
      return new ConnectionError(`${label} ${failure.action} failed: ${detail}`, {
        code: 'CONNECTION_FAILED',
        protocol: failure.name,
        ...(failure.host === undefined ? {} : { host: failure.host }),
        ...(failure.port === undefined ? {} : { port: failure.port }),
        transient,
        cause,
        hint: 'Check the host, port and TLS settings of this protocol (mail.<protocol>.*).',
      });
  }
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

/** The error itself when its text is clean; otherwise a copy with the secrets scrubbed (no leaky `cause`). */
function sanitizeCause(error: unknown, redactor: Redactor): unknown {
  if (!(error instanceof Error)) return redactor.text(String(error));
  const message = redactor.text(error.message);
  const stack = error.stack === undefined ? undefined : redactor.text(error.stack);
  if (message === error.message && stack === error.stack) return error;
  const copy = new Error(message);
  copy.name = error.name;
  copy.stack = stack;
  const code = (error as { code?: unknown }).code;
  if (code !== undefined) Object.assign(copy, { code });
  return copy;
}

/**
 * For plugins wrapping a library's error as a `cause`: a new Error with only the original's name, the
 * first line of its message (redacted, at most 200 characters) and its string `code` — never the
 * objects a driver attaches (a Redis client's `command.args` hold the values being cached).
 */
export function scrubbedError(error: unknown, redactor: Redactor = createRedactor()): Error {
  const source = error instanceof Error ? error : new Error(String(error));
  const line = redactor.text(source.message).split('\n', 1)[0] ?? '';
  const copy = new Error(line.length > 200 ? `${line.slice(0, 200)}…` : line);
  copy.name = source.name;
  const code = (source as { code?: unknown }).code;
  if (typeof code === 'string') Object.assign(copy, { code });
  return copy;
}

/** The secrets of a configuration, for a plugin's redactor. */
function configRedactor(config: ResolvedConfig): Redactor {
  const { oauth } = config;
  return createRedactor([oauth.clientSecret, oauth.password, oauth.certificate?.privateKey]);
}

function invalidPlugin(kind: PluginKind, name: string, problem: string): KalistoError {
  return new KalistoError(`[${kind}:${name}] ${problem}`, {
    code: 'PLUGIN_INVALID',
    hint: 'Fix the plugin: see "Writing your own plugin" in the @kalisto/core README.',
  });
}

function checkName(kind: PluginKind, name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.trim() === '') {
    throw new KalistoError(`A ${kind} plugin needs a non-empty name (got ${JSON.stringify(name)}).`, {
      code: 'PLUGIN_INVALID',
      hint: 'Pass the plugin name as the first argument or the `name` option of its define* helper.',
    });
  }
}

/** Throws naming the first required method `target` lacks, and any optional one that is not a function. */
function checkMethods(
  kind: PluginKind,
  name: string,
  what: string,
  target: unknown,
  required: readonly string[],
  optional: readonly string[] = [],
): void {
  if (typeof target !== 'object' || target === null) {
    throw invalidPlugin(
      kind,
      name,
      `A ${what} must be an object with ${required.join(', ')} (got ${typeof target}).`,
    );
  }
  const record = target as Record<string, unknown>;
  const has = [...required, ...optional].filter((m) => typeof record[m] === 'function');
  for (const method of required) {
    if (typeof record[method] !== 'function') {
      throw invalidPlugin(
        kind,
        name,
        `A ${what} needs a "${method}" method (it has: ${has.length > 0 ? has.join(', ') : 'none'}).`,
      );
    }
  }
  for (const method of optional) {
    if (record[method] !== undefined && typeof record[method] !== 'function') {
      throw invalidPlugin(kind, name, `The ${what}'s "${method}" must be a function when present.`);
    }
  }
}

/** Runs `fn` at most once; later calls share its promise (idempotent close). */
function once(fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => {
    running ??= fn();
    return running;
  };
}

// ---------------------------------------------------------------------------------------------
// Cache backends

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

// ---------------------------------------------------------------------------------------------
// Token providers

/** What a token plugin implements; `defineTokenProvider` adds the name and the error handling. */
export type TokenProviderImplementation = Omit<TokenProvider, 'name'> & { readonly name?: string };

export interface TokenProviderPlugin {
  /** Picked by `o365.oauth.provider`, e.g. `msal`. */
  name: string;
  /** The `o365.oauth.flow` values it supports; any other is a configuration error at session creation. */
  flows?: readonly string[];
  create(context: TokenProviderContext): TokenProviderImplementation;
}

/**
 * Defines a token provider: checks the definition now and the provider at creation (an error naming
 * a missing method), rejects an unsupported `o365.oauth.flow` as a `ConfigError`
 * (`TOKEN_FLOW_UNSUPPORTED`), turns any other failure into a `TokenError` prefixed `[token:<name>]`
 * with the configured secrets scrubbed, checks every token it returns (`TOKEN_INVALID_RESPONSE`), and
 * makes `close()` idempotent.
 */
export function defineTokenProvider(plugin: TokenProviderPlugin): TokenProviderDefinition {
  const { name, flows } = plugin;
  checkName('token', name);
  checkMethods('token', name, 'token provider definition', plugin, ['create']);
  return {
    name,
    ...(flows === undefined ? {} : { flows: [...flows] }),
    create(context) {
      const flow = context.config.oauth.flow;
      if (flows !== undefined && !flows.includes(flow)) {
        throw new ConfigError(
          [
            {
              property: 'o365.oauth.flow',
              value: flow,
              expected: `one of ${flows.join(', ')} (the flows token provider "${name}" supports)`,
            },
          ],
          { code: 'TOKEN_FLOW_UNSUPPORTED' },
        );
      }
      const redactor = configRedactor(context.config);
      const fail = (action: string) => (error: unknown) =>
        wrapPluginError(error, { kind: 'token', name, action, redactor });
      let provider: TokenProviderImplementation;
      try {
        provider = plugin.create(context);
      } catch (error) {
        throw fail('Creating the token provider')(error);
      }
      checkMethods('token', name, 'token provider', provider, ['getToken'], ['close']);
      const { close } = provider;
      return {
        name,
        async getToken(request) {
          let token: AccessToken;
          try {
            token = await provider.getToken(request);
          } catch (error) {
            throw fail('Getting a token')(error);
          }
          return checkToken(name, token);
        },
        ...(close === undefined
          ? {}
          : {
              close: once(async () => {
                try {
                  await close.call(provider);
                } catch (error) {
                  throw fail('Closing the token provider')(error);
                }
              }),
            }),
      };
    },
  };
}

/** A clean copy of a provider's token, or a TokenError saying which field is wrong (never its value). */
function checkToken(provider: string, token: unknown): AccessToken {
  const t = (typeof token === 'object' && token !== null ? token : {}) as Partial<
    Record<keyof AccessToken, unknown>
  >;
  const problem =
    typeof t.accessToken !== 'string' || t.accessToken === ''
      ? 'no accessToken'
      : typeof t.expiresAt !== 'number' || !Number.isFinite(t.expiresAt)
        ? 'no numeric expiresAt (epoch ms)'
        : !Array.isArray(t.scopes) || !t.scopes.every((s) => typeof s === 'string')
          ? 'no scopes array'
          : t.account !== undefined && typeof t.account !== 'string'
            ? 'a non-string account'
            : undefined;
  if (problem !== undefined) {
    throw new TokenError(`[token:${provider}] The provider returned a token with ${problem}.`, {
      code: 'TOKEN_INVALID_RESPONSE',
      provider,
      hint: 'This is a bug in the token provider plugin.',
    });
  }
  return {
    accessToken: t.accessToken as string,
    expiresAt: t.expiresAt as number,
    scopes: [...(t.scopes as string[])],
    ...(t.account === undefined ? {} : { account: t.account as string }),
  };
}

// ---------------------------------------------------------------------------------------------
// Protocol providers

export interface ProtocolProviderPlugin<TClient> {
  /** `imap`, `imaps`, `pop3`, `pop3s`, `smtp`, `smtps` or a custom name. */
  protocol: string;
  type: ProtocolType;
  /** Java class names from old configs that should resolve to this provider (the standard ones are built in). */
  javaClasses?: readonly string[];
  /** Opens an authenticated client. */
  create(context: ProtocolContext): Promise<TClient>;
  /** Closes a client this provider created. */
  close?(client: TClient): Promise<void>;
  /** Calls `forget` once the client has closed by itself, so the session stops holding it. */
  onClosed?(client: TClient, forget: () => void): void;
}

/**
 * Defines a protocol provider: checks the definition now, gives `create` a logger bound to
 * `protocol:<name>`, and turns any non-Kalisto failure into a `ConnectionError` prefixed
 * `[protocol:<name>]` (code `CONNECTION_FAILED`, with host and port, transient for network failures,
 * configured secrets and credential-looking strings scrubbed).
 */
export function defineProtocolProvider<TClient>(
  plugin: ProtocolProviderPlugin<TClient>,
): ProtocolProvider<TClient> {
  const { protocol, type, javaClasses } = plugin;
  checkName('protocol', protocol);
  checkMethods('protocol', protocol, 'protocol provider', plugin, ['create'], ['close', 'onClosed']);
  if (type !== 'store' && type !== 'transport') {
    throw invalidPlugin(
      'protocol',
      protocol,
      `A protocol provider's type is "store" or "transport" (got ${JSON.stringify(type)}).`,
    );
  }
  if (
    javaClasses !== undefined &&
    !(Array.isArray(javaClasses) && javaClasses.every((c) => typeof c === 'string'))
  ) {
    throw invalidPlugin('protocol', protocol, 'javaClasses must be an array of Java class names.');
  }
  const { close, onClosed } = plugin;
  return {
    protocol,
    type,
    ...(onClosed === undefined ? {} : { onClosed: onClosed.bind(plugin) }),
    ...(javaClasses === undefined ? {} : { javaClasses: [...javaClasses] }),
    async create(context) {
      const logger = context.logger.child?.({ plugin: `protocol:${protocol}` }) ?? context.logger;
      try {
        return await plugin.create({ ...context, logger });
      } catch (error) {
        throw wrapPluginError(error, {
          kind: 'protocol',
          name: protocol,
          action: `Connecting to ${context.settings.host}:${context.settings.port}`,
          redactor: configRedactor(context.session.config),
          host: context.settings.host,
          port: context.settings.port,
        });
      }
    },
    ...(close === undefined
      ? {}
      : {
          async close(client: TClient) {
            try {
              await close.call(plugin, client);
            } catch (error) {
              throw wrapPluginError(error, {
                kind: 'protocol',
                name: protocol,
                action: 'Closing the connection',
              });
            }
          },
        }),
  };
}
