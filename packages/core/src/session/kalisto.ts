import { CACHE_KEY_ENV } from '../cache/sealing.js';
import type { CacheBackend } from '../cache/types.js';
import {
  type ConfigInput,
  type ResolveConfigOptions,
  resolveConfig,
  type SecretDecoder,
} from '../config/index.js';
import type { ResolvedConfig } from '../config/types.js';
import { checkCacheBackend } from '../define/cache-backend.js';
import { KalistoError } from '../errors/errors.js';
import type { Logger } from '../logging/logger.js';
import { silentLogger, withRedaction } from '../logging/logger.js';
import type { ProtocolProvider } from '../protocol/types.js';
import {
  createTelemetry,
  type KalistoTelemetry,
  noopTelemetry,
  type TelemetryOptions,
} from '../telemetry/index.js';
import type { Clock } from '../token/clock.js';
import type { TokenProviderDefinition } from '../token/types.js';
import { createSession, type SessionTokenOptions } from './create-session.js';
import { createProtocolRegistry, createRegistry, type ProtocolRegistry, type Registry } from './registry.js';
import type { KalistoSession } from './types.js';

export interface CreateKalistoOptions {
  /** Protocol providers, e.g. `[imap(), imaps(), smtp()]`; registered by protocol and Java class name. */
  protocols?: readonly ProtocolProvider<unknown>[];
  /** Token provider definitions, e.g. `[msalTokenProvider()]`; `o365.oauth.provider` picks one by name. */
  tokenProviders?: readonly TokenProviderDefinition[];
  /**
   * Cache backends: an array (each registered under its `name`) or a record from the name a config
   * uses in `websphere.cache` to the backend, e.g. `{ 'services/cache/tokenO365': redisCache({ url }) }`.
   * A backend that reports `encrypted: false` is warned about once, here, through `logger`.
   */
  caches?: readonly CacheBackend[] | Readonly<Record<string, CacheBackend>>;
  /** Extra secret decoders selectable by `security.encoder.class` (besides plain and WebSphere `{xor}`). */
  secretDecoders?: readonly SecretDecoder[];
  /** A pino-shaped logger; Kalisto is silent without one and redacts secrets before it sees anything. */
  logger?: Logger;
  /** The time source of token freshness; replaceable for tests. */
  clock?: Clock;
  /** Tuning for every session's token manager (retry bounds, lock timings). */
  tokenManager?: SessionTokenOptions;
  /**
   * Where metrics and spans go (docs/observability.md): explicit OpenTelemetry providers, else the ones
   * registered with `@opentelemetry/api` when the first session opens; `false` records nothing. Without
   * the api or an SDK, recording costs a no-op call.
   */
  telemetry?: TelemetryOptions | false;
}

/** One isolated Kalisto: its own registries, sessions and caches (WebSphere's "isolate this provider"). */
export interface Kalisto {
  /**
   * Opens a mail session: for a resolved configuration, or for any `resolveConfig` input (property
   * map, `.properties` text, typed options), resolved with this instance's secret decoders.
   */
  session(config: ResolvedConfig | ConfigInput): KalistoSession;
  /** `resolveConfig` with this instance's secret decoders (plus any in `options`). */
  resolveConfig(input: ConfigInput, options?: ResolveConfigOptions): ResolvedConfig;
  readonly protocols: ProtocolRegistry;
  readonly tokenProviders: Registry<TokenProviderDefinition>;
  readonly caches: Registry<CacheBackend>;
  /** Closes every open session, then every cache backend (each once). Idempotent. */
  close(): Promise<void>;
}

/** Creates a Kalisto instance. Nothing is global: two instances share nothing but what you pass both. */
export function createKalisto(options: CreateKalistoOptions = {}): Kalisto {
  const logger = withRedaction(options.logger ?? silentLogger);
  const protocols = createProtocolRegistry();
  for (const provider of options.protocols ?? []) protocols.register(provider);

  const tokenProviders = createRegistry<TokenProviderDefinition>({
    kind: 'token provider',
    registerWith: 'createKalisto({ tokenProviders })',
  });
  for (const definition of options.tokenProviders ?? []) tokenProviders.register(definition.name, definition);

  const caches = createRegistry<CacheBackend>({ kind: 'cache', registerWith: 'createKalisto({ caches })' });
  const given = options.caches ?? [];
  const named: [string, CacheBackend][] = isCacheList(given)
    ? given.map((backend) => [backend.name, backend])
    : Object.entries(given);
  for (const [name, backend] of named) {
    checkCacheBackend(name, backend);
    caches.register(name, backend);
  }
  for (const backend of caches.values()) if (backend.encrypted === false) warnInClear(logger, backend.name);

  const sessions = new Set<KalistoSession>();
  // Resolved at the first session, not here: an SDK registered after createKalisto() still counts.
  let telemetry: KalistoTelemetry | undefined;
  const telemetryNow = () =>
    (telemetry ??= options.telemetry === false ? noopTelemetry : createTelemetry(options.telemetry));
  let closing: Promise<void> | undefined;

  const resolve = (input: ConfigInput, resolveOptions: ResolveConfigOptions = {}) =>
    resolveConfig(input, {
      ...resolveOptions,
      secretDecoders: [...(options.secretDecoders ?? []), ...(resolveOptions.secretDecoders ?? [])],
    });

  return {
    protocols,
    tokenProviders,
    caches,
    resolveConfig: resolve,
    session(configOrInput) {
      if (closing) {
        throw new KalistoError('This Kalisto instance is closed; create a new one with createKalisto().', {
          code: 'KALISTO_CLOSED',
          hint: 'Create a new one with createKalisto().',
        });
      }
      const config = isResolvedConfig(configOrInput) ? configOrInput : resolve(configOrInput);
      const session = createSession({
        config,
        protocols,
        tokenProviders,
        caches,
        logger: options.logger,
        clock: options.clock,
        tokenManager: options.tokenManager,
        telemetry: telemetryNow(),
        onClose: () => sessions.delete(session),
      });
      sessions.add(session);
      return session;
    },
    close() {
      closing ??= (async () => {
        await Promise.all([...sessions].map((session) => session.close()));
        for (const backend of caches.values()) {
          try {
            await backend.close?.();
          } catch (err) {
            logger.warn({ cache: backend.name, err }, 'Closing a cache backend failed.');
          }
        }
      })();
      return closing;
    },
  };
}

/** The one warning about a cache that keeps tokens in clear (`encrypted: false`), at creation. */
function warnInClear(logger: Logger, cache: string): void {
  logger.warn(
    { cache, option: 'encryptionKey', env: CACHE_KEY_ENV },
    `[cache:${cache}] No encryption key: access and refresh tokens are stored in clear, readable by whoever can read the cache. Set the cache's encryptionKey option or ${CACHE_KEY_ENV} (32 bytes, e.g. openssl rand -base64 32).`,
  );
}

/** A resolved config has `oauth` and `sources`; no property map (dotted keys) or typed options does. */
function isResolvedConfig(value: ResolvedConfig | ConfigInput): value is ResolvedConfig {
  return (
    typeof value === 'object' &&
    value !== null &&
    !(value instanceof Map) &&
    typeof (value as Partial<ResolvedConfig>).oauth === 'object' &&
    typeof (value as Partial<ResolvedConfig>).sources === 'object'
  );
}

function isCacheList(
  caches: readonly CacheBackend[] | Readonly<Record<string, CacheBackend>>,
): caches is readonly CacheBackend[] {
  return Array.isArray(caches);
}
