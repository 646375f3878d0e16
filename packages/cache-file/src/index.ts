export { type FileCache, type FileCacheOptions, fileCache } from './file-cache.js';
