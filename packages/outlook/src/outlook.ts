/**
 * The preset: every protocol provider of the WebSphere table (imap, imaps, pop3, pop3s, smtp,
 * smtps), the MSAL token provider and a process-wide memory cache, in one call — so that a mail
 * session's properties, pasted from WebSphere, work unchanged.
 */
import { type MemoryCacheOptions, memoryCache } from '@kalisto/cache-memory';
import {
  type CacheBackend,
  type ConfigInput,
  type CreateKalistoOptions,
  createKalisto,
  type Kalisto,
  type KalistoSession,
  type ProtocolProvider,
  type ResolvedConfig,
  type TokenProviderDefinition,
} from '@kalisto/core';
import { graphStore, graphTransport } from '@kalisto/protocol-graph';
import { imap, imaps } from '@kalisto/protocol-imap';
import { pop3, pop3s } from '@kalisto/protocol-pop3';
import { smtp, smtps } from '@kalisto/protocol-smtp';
import { type MsalTokenProviderOptions, msalTokenProvider } from '@kalisto/token-msal';

/** Options of {@link createOutlook} and {@link createOutlookSession}. All are optional. */
export interface OutlookOptions
  extends Pick<CreateKalistoOptions, 'logger' | 'secretDecoders' | 'clock' | 'tokenManager' | 'telemetry'> {
  /**
   * The default token cache, used by every session: the one `websphere.cache` names (registered
   * under that name too, so the Java property works unchanged) and the one used when it names none.
   * Default `memoryCache()`; pass e.g. `redisCache({ url })` to share tokens across processes.
   */
  cache?: CacheBackend;
  /** Options of the default `memoryCache()` (ignored when `cache` is given). */
  memoryCache?: MemoryCacheOptions;
  /** More caches a configuration may name in `websphere.cache` / `kalisto.cache`. */
  caches?: readonly CacheBackend[] | Readonly<Record<string, CacheBackend>>;
  /** Shows the device code sign-in instruction (flow `device_code`); shorthand for `msal.onDeviceCode`. */
  onDeviceCode?: MsalTokenProviderOptions['onDeviceCode'];
  /** Options of `msalTokenProvider()` (`@kalisto/token-msal`). */
  msal?: MsalTokenProviderOptions;
  /** More protocol providers (custom protocols); the six standard ones and graph are always registered. */
  protocols?: readonly ProtocolProvider<unknown>[];
  /** More token providers, picked by `o365.oauth.provider` (the default, `msal`, is always registered). */
  tokenProviders?: readonly TokenProviderDefinition[];
}

/**
 * The six providers of the WebSphere protocol-provider table, and Microsoft Graph's store and
 * transport (`mail.store.protocol=graph`, `mail.transport.protocol=graph`).
 */
export function outlookProtocols(): ProtocolProvider<unknown>[] {
  return [
    imap(),
    imaps(),
    pop3(),
    pop3s(),
    smtp(),
    smtps(),
    graphStore(),
    graphTransport(),
  ] as ProtocolProvider<unknown>[];
}

function cacheList(caches: OutlookOptions['caches']): [string, CacheBackend][] {
  if (caches === undefined) return [];
  return Array.isArray(caches)
    ? caches.map((backend) => [backend.name, backend])
    : Object.entries(caches as Readonly<Record<string, CacheBackend>>);
}

/**
 * A Kalisto instance for Microsoft 365: the whole provider table, `msal` and the default cache.
 * Sessions resolve `websphere.cache` to the default cache unless another registered cache has
 * that name; a configuration that names no cache uses the default one.
 */
export function createOutlook(options: OutlookOptions = {}): Kalisto {
  const defaultCache = options.cache ?? memoryCache(options.memoryCache);
  const kalisto = createKalisto({
    protocols: [...outlookProtocols(), ...(options.protocols ?? [])],
    tokenProviders: [
      msalTokenProvider({
        ...options.msal,
        ...(options.onDeviceCode === undefined ? {} : { onDeviceCode: options.onDeviceCode }),
      }),
      ...(options.tokenProviders ?? []),
    ],
    caches: Object.fromEntries([[defaultCache.name, defaultCache], ...cacheList(options.caches)]),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.secretDecoders === undefined ? {} : { secretDecoders: options.secretDecoders }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.tokenManager === undefined ? {} : { tokenManager: options.tokenManager }),
    ...(options.telemetry === undefined ? {} : { telemetry: options.telemetry }),
  });

  /** The config with its cache settled: a name nobody registered becomes the default cache's alias. */
  const withCache = (config: ResolvedConfig): ResolvedConfig => {
    if (config.cacheName === undefined) return { ...config, cacheName: defaultCache.name };
    if (!kalisto.caches.has(config.cacheName)) kalisto.caches.alias(config.cacheName, defaultCache.name);
    return config;
  };

  return {
    ...kalisto,
    session: (input: ResolvedConfig | ConfigInput) => kalisto.session(withCache(resolved(kalisto, input))),
  };
}

function resolved(kalisto: Kalisto, input: ResolvedConfig | ConfigInput): ResolvedConfig {
  const candidate = input as Partial<ResolvedConfig>;
  const isResolved =
    typeof candidate === 'object' &&
    candidate !== null &&
    !(input instanceof Map) &&
    typeof candidate.oauth === 'object' &&
    typeof candidate.sources === 'object';
  return isResolved ? (input as ResolvedConfig) : kalisto.resolveConfig(input as ConfigInput);
}

/**
 * One mail session for Microsoft 365 from a WebSphere-style property map (or `.properties` text,
 * or typed options). Closing it also closes the Kalisto instance made for it, and with it the
 * caches it holds — use {@link createOutlook} to share a cache among sessions.
 */
export function createOutlookSession(properties: ConfigInput, options: OutlookOptions = {}): KalistoSession {
  const kalisto = createOutlook(options);
  let session: KalistoSession;
  try {
    session = kalisto.session(properties);
  } catch (error) {
    void kalisto.close();
    throw error;
  }
  return {
    ...session,
    close: async () => {
      await session.close();
      await kalisto.close();
    },
  };
}
