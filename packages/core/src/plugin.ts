// @kalisto/core/plugin — what a plugin author builds with: the define* helpers and the pieces our
// own plugins share. The application API (createKalisto, errors, config) is at `@kalisto/core`.
// Every name is listed on purpose: `exports.test.ts` pins both lists, so growth is deliberate.

// Cache backends
export {
  CACHE_KEY_ENV,
  type CacheEncryptionKey,
  createValueSealer,
  type TokenCacheKeyParts,
  toCacheJson,
  tokenCacheKey,
  type ValueSealer,
  type ValueSealerOptions,
} from './cache/index.js';
// Defining plugins
export {
  type CacheBackendDefinition,
  type DefinedCacheBackend,
  defineCacheBackend,
  defineProtocolProvider,
  defineTokenProvider,
  type ProtocolProviderPlugin,
  type TokenProviderImplementation,
  type TokenProviderPlugin,
} from './define/index.js';
export type {
  AuthenticationErrorOptions,
  ConfigErrorOptions,
  ConnectionErrorOptions,
  KalistoErrorOptions,
  TokenErrorOptions,
} from './errors/index.js';
export {
  classifyMailError,
  classifyTokenError,
  type MailErrorInput,
  type PluginFailure,
  type PluginKind,
  scrubbedError,
  scrubTokenLike,
  type TokenErrorInput,
  wrapPluginError,
} from './errors/index.js';
// Logging with secrets redacted
export { createRedactor, type Redactor, silentLogger, withRedaction } from './logging/index.js';
export type { ProtocolContext } from './protocol/index.js';
// Protocol providers: TLS, SASL, login with a token, retries
export {
  loginWithTokenRetry,
  RETRYABLE_REFUSAL_CODES,
  type TrustedSecureContextOptions,
  trustedSecureContext,
} from './protocol/index.js';
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
} from './sasl/index.js';
export type { TokenProvider, TokenProviderContext, TokenRequest } from './token/index.js';
// Token providers: the identity platform's HTTP client, error classification, credential binding
export {
  abortableSleep,
  backoffDelay,
  type CredentialMaterial,
  type CredentialVerifier,
  type CredentialVerifierOptions,
  createCredentialVerifier,
  createHttpAgent,
  createTokenManager,
  credentialMaterial,
  type HttpAgent,
  type HttpAgentOptions,
  type HttpRequest,
  type HttpResponse,
  isTransientError,
  systemClock,
  type TokenManagerOptions,
  type VerifierRecord,
} from './token/index.js';
