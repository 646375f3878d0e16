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
export type { DeviceCodeInfo, ManagedIdentityOptions, MsalTokenProviderOptions } from './options.js';
