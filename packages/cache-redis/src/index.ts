export type { RedisClient, RedisConnection } from './connection.js';
export { type RedisCache, type RedisCacheOptions, redisCache } from './redis-cache.js';
export { CACHE_KEY_ENV, type EncryptionKeyInput } from './sealing.js';
