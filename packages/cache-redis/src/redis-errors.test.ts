import { CacheError } from '@kalisto/core';
import { describe, expect, it } from 'vitest';
import { RedisDeadlineError, toCacheError } from './redis-errors.js';

const context = { backend: 'redis', where: '127.0.0.1:6379', commandTimeoutMs: 1_000 };

describe('toCacheError', () => {
  it.each([
    [new RedisDeadlineError('Command timed out'), 'CACHE_TIMEOUT'],
    [new Error('Command timed out'), 'CACHE_TIMEOUT'],
    [new Error('WRONGPASS invalid username-password pair or user is disabled.'), 'CACHE_AUTH'],
    [new Error('NOAUTH Authentication required.'), 'CACHE_AUTH'],
    [new Error('connect ECONNREFUSED 127.0.0.1:6379'), 'CACHE_UNAVAILABLE'],
    [new Error("Stream isn't writeable and enableOfflineQueue options is false"), 'CACHE_UNAVAILABLE'],
    [new Error('OOM command not allowed when used memory > maxmemory.'), 'CACHE_COMMAND_FAILED'],
  ])('maps %s to %s with the backend name and a hint', (error, code) => {
    const mapped = toCacheError(error, 'GET', context);
    expect(mapped).toBeInstanceOf(CacheError);
    expect(mapped.code).toBe(code);
    expect(mapped.message.startsWith('[cache:redis] ')).toBe(true);
    expect(mapped.hint?.length).toBeGreaterThan(10);
  });

  it("drops the failed command's arguments from the cause", () => {
    const failure = Object.assign(new Error('READONLY You can not write against a read only replica.'), {
      command: { name: 'set', args: ['kalisto:k', '{"accessToken":"secret-token"}', 'PX', '1000'] },
    });
    const mapped = toCacheError(failure, 'SET', context);
    expect(JSON.stringify(mapped.cause)).not.toContain('secret-token');
    expect((mapped.cause as { command?: unknown }).command).toBeUndefined();
    expect((mapped.cause as Error).message).toBe('READONLY You can not write against a read only replica.');
  });

  it('passes a CacheError through unchanged', () => {
    const closed = new CacheError('[cache:redis] closed', { code: 'CACHE_CLOSED', backend: 'redis' });
    expect(toCacheError(closed, 'GET', context)).toBe(closed);
  });
});
