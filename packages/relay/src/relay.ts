/**
 * `createRelay`: the listeners of a relay configuration over one Kalisto instance — SMTP here,
 * IMAP/POP3 from ./proxy — with the credential check and lockout they share, upstream sessions per
 * mailbox, synchronous delivery or the queue, the admin server, and a bounded graceful stop.
 */
import { type Kalisto, KalistoError, type KalistoSession, type Logger } from '@kalisto/core';
import { silentLogger, withRedaction } from '@kalisto/core/plugin';
import { type ServiceTelemetry, startTelemetry } from '@kalisto/opentelemetry';
import { type RunningAdminServer, startAdminServer } from './admin-server.js';
import { type Authenticator, createAuthenticator } from './authenticator.js';
import { deliveryVerdict } from './delivery-outcome.js';
import { listenerSecureContext } from './listener-tls.js';
import { createRelayMetrics, type RelayMetrics } from './metrics.js';
import { startProxyListener } from './proxy-listener.js';
import { DeliveryFailure, type DeliveryQueue, openDeliveryQueue, type QueuedItem } from './queue/index.js';
import {
  type ListenerConfig,
  type LoadRelayConfigOptions,
  loadRelayConfig,
  type RelayConfig,
  type RelayConfigInput,
} from './relay-config.js';
import { createInflightTracker, type RunningListener, startSmtpListener } from './smtp-listener.js';
import { type Dispatcher, queueDispatcher, synchronousDispatcher } from './submission.js';
import { createUpstream, type Upstream } from './upstream.js';

export interface CreateRelayOptions {
  /**
   * The Kalisto instance whose protocol providers (smtp/smtps for SMTP listeners), token providers
   * and caches the upstream sessions use. The relay does not close it.
   */
  kalisto: Kalisto;
  /** The relay configuration: `.properties` text or a property map (`kalisto.relay.*` + the base session properties). */
  properties?: RelayConfigInput;
  /** Or a configuration already read with `loadRelayConfig`. */
  config?: RelayConfig;
  /** A pino-shaped logger; the relay is silent without one and never logs a secret. */
  logger?: Logger;
  /** Where `env:NAME` references in `properties` are looked up. Default `process.env`. */
  env?: LoadRelayConfigOptions['env'];
  /**
   * Where the relay's metrics go and what `/metrics` renders: `startTelemetry()` from
   * `@kalisto/opentelemetry`. Create the Kalisto instance with the same one
   * (`createKalisto({ telemetry })`) and `/metrics` shows core's `kalisto_*` metrics too. Without it
   * the relay starts its own from the OTEL_* variables of `env` (relay metrics only) and shuts it
   * down in `stop()`; one passed in is the caller's to shut down.
   */
  telemetry?: ServiceTelemetry;
}

/** Where a started listener listens. */
export interface RelayAddress {
  readonly protocol: string;
  readonly host: string;
  readonly port: number;
}

export interface RelayStopOptions {
  /** How long messages in flight may take, ms. Default `kalisto.relay.shutdown.timeout` (30000). */
  timeoutMs?: number;
}

export interface Relay {
  readonly config: RelayConfig;
  /** Starts every listener and the admin server; a failure closes what had started. */
  start(): Promise<void>;
  /**
   * Stops accepting, lets messages in flight finish within `timeoutMs`, then ends the remaining
   * connections and closes the upstream sessions. Idempotent.
   */
  stop(options?: RelayStopOptions): Promise<void>;
  /** Started listeners by name. */
  readonly addresses: Readonly<Record<string, RelayAddress>>;
  /** The admin server's address once started (undefined without `kalisto.relay.admin.port`). */
  readonly adminAddress: { readonly host: string; readonly port: number } | undefined;
  /** Checks a relay credential (with lockout): the mailbox, or undefined. What the listeners use. */
  authenticate(
    user: string,
    password: string,
    remoteAddress: string,
  ): Promise<{ mailbox: string } | undefined>;
  /** The upstream session of a mailbox (made on first use). */
  sessionFor(mailbox: string): KalistoSession;
  /** The metrics in Prometheus text format (what /metrics serves). */
  metrics(): Promise<string>;
  /** The delivery queue once started (undefined with `kalisto.relay.queue=none`). */
  readonly queue: DeliveryQueue | undefined;
}

/** The session protocol a listener uses upstream when `upstream` is not given. */
export function defaultUpstream(listener: ListenerConfig, defaults: Upstream['defaults']): string {
  if (listener.upstream !== undefined) return listener.upstream;
  if (listener.protocol === 'smtp') return defaults.transport;
  const kind = listener.protocol;
  return defaults.store.startsWith(kind) ? defaults.store : `${kind}s`;
}

function configOf(options: CreateRelayOptions): RelayConfig {
  if (options.config && options.properties !== undefined) {
    throw new KalistoError('createRelay takes config or properties, not both.', {
      code: 'RELAY_OPTIONS_INVALID',
      hint: 'Pass either { config: loadRelayConfig(…) } or { properties }.',
    });
  }
  if (options.config) return options.config;
  if (options.properties === undefined) {
    throw new KalistoError('createRelay needs properties (or a config from loadRelayConfig).', {
      code: 'RELAY_OPTIONS_INVALID',
      hint: 'Pass { properties: <.properties text or map> }.',
    });
  }
  return loadRelayConfig(options.properties, { env: options.env });
}

/**
 * Creates a relay. Everything that can be checked without listening is checked here: the relay
 * properties, the base session configuration, the certificate, the upstream protocols.
 *
 * @throws ConfigError for a bad configuration; KalistoError `REGISTRY_MISSING` for an upstream
 * protocol the Kalisto instance has no provider for.
 */
export function createRelay(options: CreateRelayOptions): Relay {
  const config = configOf(options);
  const { kalisto } = options;
  const queueOptions = config.queue.options;
  const logger = withRedaction(options.logger ?? silentLogger, [
    config.tls?.key,
    queueOptions?.kind === 'redis' ? queueOptions.url : undefined,
    ...config.users.map((user) => user.passwordHash),
  ]);
  const upstream = createUpstream({ kalisto, base: config.base, logger });
  const upstreams = new Map(config.listeners.map((l) => [l.name, defaultUpstream(l, upstream.defaults)]));
  for (const listener of config.listeners) {
    listenerSecureContext(listener, config.tls);
    if (listener.protocol === 'smtp')
      kalisto.protocols.resolve(upstreams.get(listener.name) as string, 'transport');
  }
  const ownTelemetry = options.telemetry
    ? undefined
    : startTelemetry({ serviceName: 'kalisto-relay', env: options.env, logger });
  const metrics: RelayMetrics = createRelayMetrics(options.telemetry ?? (ownTelemetry as ServiceTelemetry));
  const authenticator: Authenticator = createAuthenticator({ users: config.users, lockout: config.lockout });
  let queue: DeliveryQueue | undefined;
  const dispatcher: Dispatcher = queueOptions
    ? queueDispatcher(() => queue as DeliveryQueue, metrics, logger)
    : synchronousDispatcher(upstream, metrics, logger);
  const inflight = createInflightTracker();
  const running: RunningListener[] = [];
  let admin: RunningAdminServer | undefined;
  let starting: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;

  metrics.observe('activeConnections', async () =>
    running.map((listener) => ({ labels: { listener: listener.name }, value: listener.connections() })),
  );
  metrics.observe('messagesInFlight', async () => [{ labels: {}, value: inflight.size }]);
  if (queueOptions) {
    metrics.observe('queueMessages', async () => {
      const stats = await (queue as DeliveryQueue).stats();
      return [
        { labels: { state: 'pending' }, value: stats.pending },
        { labels: { state: 'dead' }, value: stats.dead },
        { labels: { state: 'in_flight' }, value: stats.inFlight },
      ];
    });
  }

  /** The queue's worker: one attempt through the mailbox's session; failures judged as in the synchronous path. */
  const deliverQueued = async (item: QueuedItem, raw: Buffer) => {
    const protocol = item.upstream ?? upstream.defaults.transport;
    try {
      const receipt = await upstream.send(item.mailbox, protocol, item.envelope, raw);
      if (receipt.rejected.length > 0) {
        logger.warn(
          { id: item.id, mailbox: item.mailbox, rejected: receipt.rejected },
          'Upstream refused some recipients of a queued message',
        );
      }
      return receipt;
    } catch (error) {
      const verdict = deliveryVerdict(error);
      logger.warn(
        {
          id: item.id,
          mailbox: item.mailbox,
          attempt: item.attempts + 1,
          stage: verdict.stage,
          code: verdict.errorCode,
          hint: verdict.hint,
          upstreamReply: verdict.upstreamReply,
          err: error,
        },
        'Queued delivery attempt failed',
      );
      const retryAfterMs = (error as { retryAfterMs?: unknown }).retryAfterMs;
      throw new DeliveryFailure({
        transient: verdict.transient,
        reply: verdict.upstreamReply ?? `${verdict.reply.code} ${verdict.reply.text}`,
        code: verdict.reply.code,
        ...(typeof retryAfterMs === 'number' ? { retryAfterMs } : {}),
        cause: error,
      });
    }
  };

  const authenticate = async (user: string, password: string, remoteAddress: string) => {
    const result = await authenticator.authenticate(user, password, remoteAddress);
    return result.ok ? { mailbox: result.mailbox } : undefined;
  };

  async function startAll(): Promise<void> {
    try {
      if (queueOptions) {
        queue = await openDeliveryQueue({
          ...queueOptions,
          logger,
          observer: {
            delivered: (item) =>
              metrics.messages.inc({ listener: item.listener ?? 'queue', outcome: 'delivered' }),
            retrying: (item) =>
              metrics.messages.inc({ listener: item.listener ?? 'queue', outcome: 'deferred' }),
            dead: (item, failure) => {
              metrics.messages.inc({ listener: item.listener ?? 'queue', outcome: 'dead' });
              logger.error(
                { id: item.id, mailbox: item.mailbox, reply: failure.reply, reason: failure.deadReason },
                'Queued message is dead (kalisto relay queue list)',
              );
            },
          },
        });
        queue.start(deliverQueued);
      }
      for (const listener of config.listeners) {
        const upstreamProtocol = upstreams.get(listener.name) as string;
        running.push(
          listener.protocol === 'smtp'
            ? await startSmtpListener({
                listener,
                tls: config.tls,
                upstream: upstreamProtocol,
                authenticator,
                dispatcher,
                metrics,
                logger,
                inflight,
              })
            : await startProxyListener({
                listener,
                tls: config.tls,
                upstream: upstreamProtocol,
                authenticator,
                sessionFor: upstream.sessionFor,
                metrics,
                logger,
              }),
        );
      }
      if (config.admin) {
        admin = await startAdminServer({
          ...config.admin,
          metrics: metrics.registry,
          logger,
          checks: [
            { name: 'listeners', check: async () => running.length === config.listeners.length },
            ...(queue
              ? [{ name: 'queue', check: async () => Boolean(await (queue as DeliveryQueue).stats()) }]
              : []),
          ],
        });
      }
    } catch (error) {
      await Promise.all(running.splice(0).map((listener) => listener.close()));
      await queue?.close({ timeoutMs: 0 });
      throw error;
    }
  }

  async function stopAll(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    await starting?.catch(() => undefined);
    for (const listener of running) listener.stopAccepting(timeoutMs);
    const drained = await inflight.drained(timeoutMs);
    if (!drained)
      logger.warn({ inFlight: inflight.size, timeoutMs }, 'Stopping with messages still in flight');
    await Promise.all(running.map((listener) => listener.close()));
    // The queue's workers finish their attempts within what is left of the bound; the rest stay queued.
    await queue?.close({ timeoutMs: Math.max(0, deadline - Date.now()) });
    await admin?.close();
    await upstream.close();
    await ownTelemetry?.shutdown();
    logger.info({}, 'Relay stopped');
  }

  return {
    config,
    get addresses() {
      return Object.fromEntries(
        running.map((l) => [l.name, { protocol: l.protocol, host: l.host, port: l.port }] as const),
      );
    },
    get adminAddress() {
      return admin && { host: admin.host, port: admin.port };
    },
    authenticate,
    sessionFor: upstream.sessionFor,
    metrics: () => metrics.registry.render(),
    get queue() {
      return queue;
    },
    start() {
      if (stopping)
        return Promise.reject(
          new KalistoError('This relay was stopped; create a new one.', { code: 'RELAY_STOPPED' }),
        );
      starting ??= startAll();
      return starting;
    },
    stop(stopOptions = {}) {
      stopping ??= stopAll(stopOptions.timeoutMs ?? config.shutdownTimeoutMs);
      return stopping;
    },
  };
}
