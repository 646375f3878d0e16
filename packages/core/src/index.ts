// @kalisto/core — the application API. Plugin-author helpers are at `@kalisto/core/plugin`.
// Every name is listed on purpose: `exports.test.ts` pins both lists, so growth is deliberate.

// Caches
export type { CacheBackend, CacheLock } from './cache.js';
export {
  type AuditTokenClaimsOptions,
  auditTokenClaims,
  type ClaimsFinding,
  type ClaimsFindingCode,
  type ClaimsProtocol,
  decodeTokenClaims,
  type TokenClaimsSummary,
} from './claims.js';
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
export type { SessionTokenOptions } from './create-session.js';
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
} from './errors.js';
// Instance and sessions
export { type CreateKalistoOptions, createKalisto, type Kalisto } from './kalisto.js';
// Logging
export type { Logger } from './logger.js';
export { type ConsoleLoggerOptions, consoleLogger, type LogLevel } from './logging.js';
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
} from './protocol.js';
export type { ProtocolRegistry, Registry } from './registry.js';
export { Secret } from './secret.js';
export type { KalistoSession } from './session.js';
// Tokens
export type { AccessToken, TokenManager, TokenManagerRequest, TokenProviderDefinition } from './token.js';
export type { Clock } from './token-manager.js';
