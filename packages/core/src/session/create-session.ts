import type { CacheBackend } from '../cache/types.js';
import type { Secret } from '../config/secret.js';
import type { ProtocolSettings, ResolvedConfig } from '../config/types.js';
import { ConfigError, KalistoError } from '../errors/errors.js';
import type { Logger } from '../logging/logger.js';
import { silentLogger, withRedaction } from '../logging/logger.js';
import { configRedactor } from '../logging/redactor.js';
import type { ProtocolProvider, ProtocolType, StoreClient, TransportClient } from '../protocol/types.js';
import { type KalistoTelemetry, noopTelemetry } from '../telemetry/index.js';
import type { Clock } from '../token/clock.js';
import { credentialMaterial } from '../token/credential-verifier.js';
import { createTokenManager, type TokenManagerOptions } from '../token/manager.js';
import type { TokenProviderDefinition } from '../token/types.js';
import { createConnectionLimiter } from './connection-limit.js';
import type { ProtocolRegistry, Registry } from './registry.js';
import type { KalistoSession } from './types.js';

/** Tuning of the session's token manager (retry bounds, lock timings, test seams). */
export type SessionTokenOptions = Omit<
  TokenManagerOptions,
  'config' | 'provider' | 'cache' | 'logger' | 'clock' | 'redactor' | 'credential' | 'verifier' | 'telemetry'
>;

export interface CreateSessionOptions {
  config: ResolvedConfig;
  protocols: ProtocolRegistry;
  tokenProviders: Registry<TokenProviderDefinition>;
  caches: Registry<CacheBackend>;
  /** The application's pino-shaped logger; the session wraps it so nothing it logs holds a secret. */
  logger?: Logger | undefined;
  clock?: Clock | undefined;
  tokenManager?: SessionTokenOptions | undefined;
  /** Where the session's metrics and spans go (default: nowhere). */
  telemetry?: KalistoTelemetry | undefined;
  /** Called once when the session has closed (createKalisto uses it to forget the session). */
  onClose?: (() => void) | undefined;
}

/**
 * Picks the session's cache: the one `websphere.cache`/`kalisto.cache` names (an error naming the
 * registered ones if absent), else the only registered one, else none (tokens stay in session memory).
 */
export function selectCache(
  config: ResolvedConfig,
  caches: Registry<CacheBackend>,
): CacheBackend | undefined {
  if (config.cacheName !== undefined) return caches.get(config.cacheName);
  const all = caches.values();
  if (all.length <= 1) return all[0];
  throw new KalistoError(
    `Several caches are registered (${caches.names().join(', ')}) and the configuration names none: set websphere.cache (or kalisto.cache) to one of them.`,
    { code: 'CACHE_AMBIGUOUS', hint: 'Set websphere.cache (or kalisto.cache) to one of them.' },
  );
}

/**
 * Opens one mail session: picks the cache and the token provider (`o365.oauth.provider`), creates the
 * session's token manager, and opens protocol clients on demand. Usually called through
 * `createKalisto(...).session(config)`.
 */
interface ClientEntry {
  provider: ProtocolProvider<unknown>;
  client: unknown;
  /** Frees the client's place under `mail.<p>.maxConnections`; idempotent. */
  release: () => void;
}

export function createSession(options: CreateSessionOptions): KalistoSession {
  const { config, protocols } = options;
  const { oauth } = config;
  const redactor = configRedactor(config);
  const logger = withRedaction(options.logger ?? silentLogger, redactor);
  const cache = selectCache(config, options.caches);
  const telemetry = options.telemetry ?? noopTelemetry;
  const definition = options.tokenProviders.get(oauth.provider);
  const declared: [string, string | Secret | undefined][] = [];
  const provider = definition.create({
    config,
    cache,
    logger: logger.child?.({ plugin: `token:${definition.name}` }) ?? logger,
    bindCredential: (label, value) => void declared.push([`provider.${label}`, value]),
    telemetry,
  });
  const tokens = createTokenManager({
    ...options.tokenManager,
    config,
    provider,
    cache,
    logger,
    clock: options.clock,
    redactor,
    credential: credentialMaterial(oauth, declared),
    telemetry,
  });

  const clients = new Set<ClientEntry>();
  const limiter = createConnectionLimiter();
  let closing: Promise<void> | undefined;

  const closed = () =>
    new KalistoError('This Kalisto session is closed; open a new one with kalisto.session(config).', {
      code: 'SESSION_CLOSED',
      hint: 'Open a new session with kalisto.session(config).',
    });

  async function closeClient(entry: ClientEntry): Promise<void> {
    try {
      await entry.provider.close?.(entry.client);
    } catch (err) {
      logger.warn({ protocol: entry.provider.protocol, err }, 'Closing a mail client failed.');
    } finally {
      entry.release();
    }
  }

  /** `provider.create` in a `kalisto.mail.connect` span, counted as a login with its duration. */
  function connect(
    provider: ProtocolProvider<unknown>,
    settings: ProtocolSettings,
    signal: AbortSignal | undefined,
  ) {
    const context = {
      session,
      settings,
      logger: logger.child?.({ protocol: settings.protocol }) ?? logger,
      telemetry,
      ...(signal === undefined ? {} : { signal }),
    };
    if (!telemetry.enabled) return provider.create(context);
    const { protocol, host, port } = settings;
    const attributes = { 'kalisto.protocol': protocol, 'server.address': host, 'server.port': port };
    return telemetry.withSpan('kalisto.mail.connect', attributes, async () => {
      const started = performance.now();
      const seconds = () => (performance.now() - started) / 1000;
      try {
        const client = await provider.create(context);
        telemetry.mailLogin(protocol, host, seconds());
        return client;
      } catch (error) {
        telemetry.mailLogin(protocol, host, seconds(), error);
        throw error;
      }
    });
  }

  async function open(type: ProtocolType, requested: string | undefined, signal: AbortSignal | undefined) {
    if (closing) throw closed();
    const name = requested ?? (type === 'store' ? config.storeProtocol : config.transportProtocol);
    const protocol = protocols.protocolOf(name);
    const settings = config.protocols[protocol];
    // `mail.<p>.class` picks the implementation of protocol <p>, as WebSphere's provider table did.
    const provider = protocols.resolve(name, type, protocol === name ? settings?.providerClass : undefined);
    if (settings === undefined) {
      throw new ConfigError([
        {
          property: `mail.${protocol}.host`,
          expected: `the host of protocol "${protocol}" (no mail.${protocol}.* settings)`,
        },
      ]);
    }
    // Store connections count against the mailbox's limit (mail.<p>.maxConnections) until closed.
    const freePlace = type === 'store' ? await limiter.acquire(settings, signal) : () => {};
    let client: unknown;
    try {
      client = await connect(provider, settings, signal);
    } catch (error) {
      freePlace();
      throw error;
    }
    telemetry.mailConnections(protocol, 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      telemetry.mailConnections(protocol, -1);
      freePlace();
    };
    const entry: ClientEntry = { provider, client, release };
    if (closing) {
      await closeClient(entry);
      throw closed();
    }
    clients.add(entry);
    provider.onClosed?.(client, () => {
      clients.delete(entry);
      release();
    });
    return client;
  }

  const session: KalistoSession = {
    config,
    tokens,
    cache,
    logger,
    telemetry,
    store: <P extends string = string>(protocol?: P, opts?: { signal?: AbortSignal }) =>
      open('store', protocol, opts?.signal) as Promise<StoreClient<P>>,
    transport: <P extends string = string>(protocol?: P, opts?: { signal?: AbortSignal }) =>
      open('transport', protocol, opts?.signal) as Promise<TransportClient<P>>,
    close() {
      closing ??= (async () => {
        for (const entry of clients) await closeClient(entry);
        clients.clear();
        try {
          await provider.close?.();
        } catch (err) {
          logger.warn({ provider: provider.name, err }, 'Closing the token provider failed.');
        }
        options.onClose?.();
      })();
      return closing;
    },
  };
  return session;
}
