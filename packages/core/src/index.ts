// @kalisto/core — the application API. Plugin-author helpers are at `@kalisto/core/plugin`.
// Every name is listed on purpose: `exports.test.ts` pins both lists, so growth is deliberate.

// Caches
export type { CacheBackend, CacheLock } from './cache/types.js';
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
  type SecretDecoder,
  stringifyProperties,
} from './config/index.js';
export { Secret } from './config/secret.js';
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
} from './config/types.js';
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
} from './errors/errors.js';
// Logging
export type { Logger } from './logging/logger.js';
export { type ConsoleLoggerOptions, consoleLogger, type LogLevel } from './logging/logger.js';
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
} from './protocol/types.js';
export type { SessionTokenOptions } from './session/create-session.js';
// Instance and sessions
export { type CreateKalistoOptions, createKalisto, type Kalisto } from './session/kalisto.js';
export type { ProtocolRegistry, Registry } from './session/registry.js';
export type { KalistoSession } from './session/types.js';
export {
  type AuditTokenClaimsOptions,
  auditTokenClaims,
  type ClaimsFinding,
  type ClaimsFindingCode,
  type ClaimsProtocol,
  decodeTokenClaims,
  type TokenClaimsSummary,
} from './token/claims.js';
export type { Clock } from './token/manager.js';
// Tokens
export type {
  AccessToken,
  TokenManager,
  TokenManagerRequest,
  TokenProviderDefinition,
} from './token/types.js';
