export { type FileCache, type FileCacheOptions, fileCache } from './file-cache.js';
export { CACHE_KEY_ENV, type EncryptionKeyInput } from './sealing.js';
