// @kalisto/core — the application API; plugin-author helpers are at `@kalisto/core/plugin`.
// One statement per folder of src (each folder's index.ts is its entry module). Every name is
// listed on purpose: `exports.test.ts` pins this list and the plugin one, so growth is deliberate.

export type {
  CacheBackend,
  CacheLock,
} from './cache/index.js';
export {
  type CloudName,
  type ConfigInput,
  type ConfigRow,
  type ConfigSource,
  type ConfigWarning,
  describeConfig,
  encodeXor,
  formatConfig,
  isSecretProperty,
  type KalistoConfigOptions,
  MAIL_PROTOCOLS,
  type MailProtocol,
  type OAuthFlow,
  type OAuthSettings,
  type PropertyMap,
  type PropertyValue,
  type ProtocolOptions,
  type ProtocolSettings,
  parseProperties,
  type ResolveConfigOptions,
  type ResolvedConfig,
  resolveConfig,
  Secret,
  type SecretDecoder,
  stringifyProperties,
} from './config/index.js';
export {
  AuthenticationError,
  CacheError,
  ConfigError,
  type ConfigIssue,
  ConnectionError,
  isKalistoError,
  KalistoError,
  TokenError,
} from './errors/index.js';
export {
  type ConsoleLoggerOptions,
  consoleLogger,
  type Logger,
  type LogLevel,
} from './logging/index.js';
export type {
  ProtocolClient,
  ProtocolClients,
  ProtocolName,
  ProtocolProvider,
  ProtocolType,
  StoreClient,
  StoreClients,
  TransportClient,
  TransportClients,
} from './protocol/index.js';
export {
  type CreateKalistoOptions,
  createKalisto,
  type Kalisto,
  type KalistoSession,
  type ProtocolRegistry,
  type Registry,
  type SessionTokenOptions,
} from './session/index.js';
export type {
  KalistoSpan,
  KalistoTelemetry,
  MeterProvider,
  TelemetryOptions,
  TracerProvider,
} from './telemetry/index.js';
export {
  type AccessToken,
  type AuditTokenClaimsOptions,
  auditTokenClaims,
  type ClaimsFinding,
  type ClaimsFindingCode,
  type ClaimsProtocol,
  type Clock,
  decodeTokenClaims,
  type TokenClaimsSummary,
  type TokenManager,
  type TokenManagerRequest,
  type TokenProviderDefinition,
} from './token/index.js';
