// token/ — from a session to an access token: the token manager (memory → shared cache → single
// flight → identity platform) and what it is built from, the identity platform's HTTP client,
// credential binding, retries and the claims audit.

export {
  type AuditTokenClaimsOptions,
  auditTokenClaims,
  type ClaimsFinding,
  type ClaimsFindingCode,
  type ClaimsProtocol,
  decodeTokenClaims,
  type TokenClaimsSummary,
} from './claims.js';
export { type Clock, systemClock } from './clock.js';
export {
  CREDENTIAL_WARNING_DAYS,
  type CredentialExpiry,
  type CredentialExpiryFinding,
  configuredCredentialExpiries,
  credentialExpiryFinding,
  REFRESH_TOKEN_LIFETIME,
  refreshTokenExpiresAt,
  refreshTokenNeedsRenewal,
} from './credential-expiry.js';
export {
  type CredentialExpiryWatch,
  type CredentialExpiryWatchOptions,
  watchCredentialExpiry,
} from './credential-expiry-watch.js';
export {
  type CredentialMaterial,
  type CredentialVerifier,
  type CredentialVerifierOptions,
  createCredentialVerifier,
  credentialMaterial,
  type VerifierRecord,
} from './credential-verifier.js';
export {
  createHttpAgent,
  type HttpAgent,
  type HttpAgentOptions,
  type HttpRequest,
  type HttpResponse,
  identityPlatformAgent,
} from './http-agent.js';
export { createTokenManager, type TokenManagerOptions } from './manager.js';
export { abortableSleep, backoffDelay, isTransientError } from './retry.js';
export type {
  AccessToken,
  TokenManager,
  TokenManagerRequest,
  TokenProvider,
  TokenProviderContext,
  TokenProviderDefinition,
  TokenRequest,
} from './types.js';
