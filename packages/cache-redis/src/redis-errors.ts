import { CacheError } from '@kalisto/core';
import { scrubbedError } from '@kalisto/core/plugin';

/** What the error says about where Redis is: `127.0.0.1:6379`, `cluster of 3 nodes`… Never a password. */
export interface RedisErrorContext {
  backend: string;
  where: string;
  commandTimeoutMs: number;
}

/** The command that failed, in words: `GET`, `SET`, `lock release`. */
export type RedisOperation = 'GET' | 'SET' | 'DEL' | 'lock' | 'lock release';

const UNREACHABLE =
  /ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|EPIPE|ETIMEDOUT|Connection is closed|Stream isn't writeable|enableOfflineQueue|isn't ready|None of startup nodes|Failed to refresh slots|All sentinels are unreachable|Reached the max retries|not ready/i;
const REFUSED_CREDENTIALS = /NOAUTH|WRONGPASS|NOPERM|invalid password|invalid username/i;

/** Raised by our own deadline: Redis did not answer in time. */
export class RedisDeadlineError extends Error {
  override readonly name = 'RedisDeadlineError';
}

/** Turns anything ioredis (or our deadline) throws into a CacheError that says what to do. */
export function toCacheError(
  error: unknown,
  operation: RedisOperation,
  context: RedisErrorContext,
): CacheError {
  if (error instanceof CacheError) return error;
  const { backend, where } = context;
  // ioredis errors carry the command's arguments (`err.command.args`), which hold cached values.
  const cause = scrubbedError(error);
  const reason = cause.message;
  if (error instanceof RedisDeadlineError || /timed out/i.test(reason)) {
    return new CacheError(
      `[cache:${backend}] ${operation} got no answer from Redis (${where}) within ${context.commandTimeoutMs} ms.`,
      {
        code: 'CACHE_TIMEOUT',
        backend,
        cause,
        hint: 'Check that Redis is up and not overloaded, or raise commandTimeoutMs. Kalisto carries on without the shared cache.',
      },
    );
  }
  if (REFUSED_CREDENTIALS.test(reason)) {
    return new CacheError(
      `[cache:${backend}] Redis (${where}) refused our credentials on ${operation}: ${reason}`,
      {
        code: 'CACHE_AUTH',
        backend,
        cause,
        hint: 'Check the user name and password in the Redis URL or client options, and the ACL of that user.',
      },
    );
  }
  if (UNREACHABLE.test(reason)) {
    return new CacheError(
      `[cache:${backend}] Redis (${where}) is not reachable for ${operation}: ${reason}`,
      {
        code: 'CACHE_UNAVAILABLE',
        backend,
        cause,
        hint: 'Check that Redis is running and reachable from this host. Kalisto carries on without the shared cache and reconnects by itself.',
      },
    );
  }
  return new CacheError(`[cache:${backend}] Redis (${where}) refused ${operation}: ${reason}`, {
    code: 'CACHE_COMMAND_FAILED',
    backend,
    cause,
    hint: 'Check the Redis server log and its memory/ACL settings (e.g. maxmemory, read-only replica).',
  });
}
