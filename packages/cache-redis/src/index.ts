export type { RedisClient, RedisConnection } from './connection.js';
export { type RedisCache, type RedisCacheOptions, redisCache } from './redis-cache.js';
