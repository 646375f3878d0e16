export { type OfflineAuthorityOptions, offlineAuthority } from './authority.js';
export {
  type BackendCachePluginOptions,
  backendCachePlugin,
  DEFAULT_MSAL_CACHE_TTL_MS,
  MSAL_CACHE_KEY_PREFIX,
  type MsalCacheKeyParts,
  msalCacheKey,
} from './cache-plugin.js';
export { MSAL_FLOWS, msalTokenProvider } from './msal-token-provider.js';
export type { OutboundRequest } from './network-client.js';
export type {
  DeviceCodeInfo,
  ManagedIdentityOptions,
  MsalTokenProviderOptions,
  SignInOptions,
} from './options.js';
export { type SignOutOptions, signOutMsal } from './sign-out.js';
