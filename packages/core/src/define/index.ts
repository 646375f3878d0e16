// define/ — one define* helper per plugin kind, and the checks they share.

export {
  type CacheBackendDefinition,
  type DefinedCacheBackend,
  defineCacheBackend,
} from './cache-backend.js';
export { defineProtocolProvider, type ProtocolProviderPlugin } from './protocol-provider.js';
export {
  defineTokenProvider,
  type TokenProviderImplementation,
  type TokenProviderPlugin,
} from './token-provider.js';
