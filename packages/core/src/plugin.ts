// @kalisto/core/plugin — what a plugin author builds with: the define* helpers and the pieces our
// own plugins share (docs/writing-plugins.md). The application API is at `@kalisto/core`. One
// statement per folder entry; `exports.test.ts` pins the list, so growth is deliberate.

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
export {
  type AuthenticationErrorOptions,
  type ConfigErrorOptions,
  type ConnectionErrorOptions,
  classifyMailError,
  classifyTokenError,
  type KalistoErrorOptions,
  type MailErrorInput,
  type PluginFailure,
  type PluginKind,
  scrubbedError,
  scrubTokenLike,
  type TokenErrorInput,
  type TokenErrorOptions,
  wrapPluginError,
} from './errors/index.js';
export {
  createRedactor,
  type Redactor,
  silentLogger,
  withRedaction,
} from './logging/index.js';
export {
  INCURABLE_FINDINGS,
  isCurableRefusal,
  loginWithTokenRetry,
  type ProtocolContext,
  RETRYABLE_REFUSAL_CODES,
  requireMailUser,
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
  identityPlatformAgent,
  isTransientError,
  systemClock,
  type TokenManagerOptions,
  type TokenProvider,
  type TokenProviderContext,
  type TokenRequest,
  type VerifierRecord,
} from './token/index.js';
