// The telemetry set-up the relay runs on, so one import starts it for the relay and its Kalisto instance.
export {
  PROMETHEUS_CONTENT_TYPE,
  type ServiceTelemetry,
  type StartTelemetryOptions,
  startTelemetry,
  TelemetryConfigError,
} from '@kalisto/opentelemetry';
export { type AdminServerOptions, type HealthCheck, startAdminServer } from './admin-server.js';
export { type AuthenticationResult, type Authenticator, createAuthenticator } from './authenticator.js';
export {
  type DeliveryVerdict,
  deliveryVerdict,
  type FailureStage,
  type SmtpReply,
} from './delivery-outcome.js';
export { normalizeLineEndings } from './line-endings.js';
export { createLockout, type Lockout, type LockoutState } from './lockout.js';
export {
  createMetricsRegistry,
  type MetricsRegistry,
  type MetricsSource,
  RELAY_INSTRUMENTS,
  type RelayInstrument,
} from './metrics.js';
export { createNetworkList, type NetworkList, parseNetwork } from './network-list.js';
export { hashRelayPassword, parsePasswordHash, verifyPasswordHash } from './password-hash.js';
export {
  createImapProxy,
  createPop3Proxy,
  IMAP_REPLIES,
  isLoopbackHost,
  type MailProxy,
  type MailProxyOptions,
  POP3_REPLIES,
  PROXY_DEFAULTS,
  type ProxyLogin,
  type ProxyTlsMode,
  type ProxyTlsOptions,
} from './proxy/index.js';
export {
  type Deliver,
  type DeliveryContext,
  DeliveryFailure,
  type DeliveryQueue,
  type DeliveryQueueOptions,
  type DeliveryReceipt,
  type EnqueueRequest,
  type FailureRecord,
  openDeliveryQueue,
  QUEUE_DEFAULTS,
  QUEUE_PROPERTIES,
  type QueuedItem,
  type QueuedMessage,
  QueueError,
  type QueueErrorCode,
  type QueueStats,
  queueOptionsFromProperties,
  type RedisQueueOptions,
  type SpoolQueueOptions,
} from './queue/index.js';
export {
  type CreateRelayOptions,
  createRelay,
  type Relay,
  type RelayAddress,
  type RelayStopOptions,
} from './relay.js';
export {
  type ListenerConfig,
  type LoadRelayConfigOptions,
  type LockoutSettings,
  loadRelayConfig,
  type RelayConfig,
  type RelayConfigInput,
  type RelayUser,
} from './relay-config.js';
export {
  EXCHANGE_MAX_MESSAGE_BYTES,
  type ListenerMode,
  type ListenerProtocol,
  type ListenerTlsMode,
  type ListenerTlsVersion,
  type QueueKind,
  RELAY_PROPERTIES,
  type RelayPropertyDefinition,
} from './relay-properties.js';
export type { Envelope, UpstreamReceipt } from './upstream.js';
