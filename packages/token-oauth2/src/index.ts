export { OAUTH2_FLOWS, oauth2TokenProvider } from './oauth2-token-provider.js';
export type { OAuth2TokenProviderOptions } from './options.js';
export {
  DEFAULT_REFRESH_TOKEN_TTL_MS,
  REFRESH_TOKEN_KEY_PREFIX,
  type RefreshTokenKeyParts,
  refreshTokenKey,
} from './refresh-token-store.js';
export { buildTokenRequest, type ClientAuthMethod } from './token-endpoint.js';
export { DEFAULT_EXPIRES_IN_SECONDS, parseTokenResponse, type TokenResponse } from './token-response.js';
