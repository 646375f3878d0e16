export { type MemoryCacheOptions, memoryCache } from './memory-cache.js';
