// @kalisto/core — the application API. Plugin-author helpers are at `@kalisto/core/plugin`.
// Every name is listed on purpose: `exports.test.ts` pins both lists, so growth is deliberate.

// Caches
export type { CacheBackend, CacheLock } from './cache/index.js';
export type {
  CloudName,
  ConfigSource,
  ConfigWarning,
  MailProtocol,
  OAuthFlow,
  OAuthSettings,
  PropertyMap,
  ProtocolSettings,
  ResolvedConfig,
} from './config/index.js';
// Configuration
export {
  type ConfigInput,
  type ConfigRow,
  describeConfig,
  encodeXor,
  formatConfig,
  isSecretProperty,
  type KalistoConfigOptions,
  MAIL_PROTOCOLS,
  type PropertyValue,
  type ProtocolOptions,
  parseProperties,
  type ResolveConfigOptions,
  resolveConfig,
  Secret,
  type SecretDecoder,
  stringifyProperties,
} from './config/index.js';
// Errors
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
// Logging
export type { Logger } from './logging/index.js';
export { type ConsoleLoggerOptions, consoleLogger, type LogLevel } from './logging/index.js';
// TRANSITIONAL: protocol-pop3 (edited by another hand right now) still imports these plugin helpers
// from here. Once its imports name '@kalisto/core/plugin', delete this block and TRANSITIONAL in
// exports.test.ts: each name then has one home.
export {
  type ConnectionErrorOptions,
  classifyMailError,
  defineProtocolProvider,
  defineTokenProvider,
  loginWithTokenRetry,
  oauthBearerInitialResponse,
  type ProtocolContext,
  parseSaslErrorChallenge,
  type SaslErrorChallenge,
  type SaslMechanism,
  saslAuthCommand,
  saslErrorAcknowledgement,
  silentLogger,
  trustedSecureContext,
  xoauth2InitialResponse,
} from './plugin.js';
// Protocols
export type {
  ProtocolClient,
  ProtocolClients,
  ProtocolName,
  ProtocolProvider,
  ProtocolType,
} from './protocol/index.js';
export type { KalistoSession, ProtocolRegistry, Registry, SessionTokenOptions } from './session/index.js';
// Instance and sessions
export { type CreateKalistoOptions, createKalisto, type Kalisto } from './session/index.js';
// Tokens
export type {
  AccessToken,
  Clock,
  TokenManager,
  TokenManagerRequest,
  TokenProviderDefinition,
} from './token/index.js';
export {
  type AuditTokenClaimsOptions,
  auditTokenClaims,
  type ClaimsFinding,
  type ClaimsFindingCode,
  type ClaimsProtocol,
  decodeTokenClaims,
  type TokenClaimsSummary,
} from './token/index.js';
