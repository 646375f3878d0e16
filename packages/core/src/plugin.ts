// @kalisto/core/plugin — what a plugin author builds with: the define* helpers and the pieces our
// own plugins share. The application API (createKalisto, errors, config) is at `@kalisto/core`.
// Every name is listed on purpose: `exports.test.ts` pins both lists, so growth is deliberate.

export { toCacheJson } from './cache/json.js';
export { type TokenCacheKeyParts, tokenCacheKey } from './cache/key.js';
// Cache backends
export {
  CACHE_KEY_ENV,
  type CacheEncryptionKey,
  createValueSealer,
  type ValueSealer,
  type ValueSealerOptions,
} from './cache/sealing.js';
// Defining plugins
export {
  type CacheBackendDefinition,
  type DefinedCacheBackend,
  defineCacheBackend,
} from './define/cache-backend.js';
export { defineProtocolProvider, type ProtocolProviderPlugin } from './define/protocol-provider.js';
export {
  defineTokenProvider,
  type TokenProviderImplementation,
  type TokenProviderPlugin,
} from './define/token-provider.js';
export { classifyMailError, type MailErrorInput } from './errors/classify-mail.js';
export { classifyTokenError, type TokenErrorInput } from './errors/classify-token.js';
export type {
  AuthenticationErrorOptions,
  ConfigErrorOptions,
  ConnectionErrorOptions,
  KalistoErrorOptions,
  TokenErrorOptions,
} from './errors/errors.js';
export {
  type PluginFailure,
  type PluginKind,
  scrubbedError,
  wrapPluginError,
} from './errors/plugin-error.js';
export { scrubTokenLike } from './errors/server-text.js';
export { silentLogger, withRedaction } from './logging/logger.js';
// Logging with secrets redacted
export { createRedactor, type Redactor } from './logging/redactor.js';
export { loginWithTokenRetry, RETRYABLE_REFUSAL_CODES } from './protocol/login-retry.js';
// Protocol providers: TLS, SASL, login with a token, retries
export { type TrustedSecureContextOptions, trustedSecureContext } from './protocol/tls-context.js';
export type { ProtocolContext } from './protocol/types.js';
export {
  encodeSaslErrorChallenge,
  type OAuthBearerCredentials,
  oauthBearerInitialResponse,
  parseSaslErrorChallenge,
  type SaslAuthExchange,
  type SaslErrorChallenge,
  type SaslMechanism,
  type SaslProtocol,
  saslAuthCommand,
  saslErrorAcknowledgement,
  type XOAuth2Credentials,
  xoauth2InitialResponse,
} from './sasl/sasl.js';
export {
  type CredentialMaterial,
  type CredentialVerifier,
  type CredentialVerifierOptions,
  createCredentialVerifier,
  credentialMaterial,
  type VerifierRecord,
} from './token/credential-verifier.js';
// Token providers: the identity platform's HTTP client, error classification, credential binding
export {
  createHttpAgent,
  type HttpAgent,
  type HttpAgentOptions,
  type HttpRequest,
  type HttpResponse,
} from './token/http-agent.js';
export { createTokenManager, systemClock, type TokenManagerOptions } from './token/manager.js';
export { abortableSleep, backoffDelay, isTransientError } from './token/retry.js';
export type { TokenProvider, TokenProviderContext, TokenRequest } from './token/types.js';
