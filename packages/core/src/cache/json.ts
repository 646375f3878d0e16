import { CacheError } from '../errors/errors.js';

/**
 * For cache backends: `value` as JSON, or `undefined` for a value JSON drops (undefined, a function).
 * What JSON cannot hold (a BigInt, a circular structure) is a `CacheError` (`CACHE_INVALID_VALUE`,
 * prefixed `[cache:<backend>]`) that names the problem, never the value.
 */
export function toCacheJson(backend: string, value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n', 1)[0] : String(error);
    throw new CacheError(`[cache:${backend}] The value cannot be stored as JSON: ${reason}`, {
      code: 'CACHE_INVALID_VALUE',
      backend,
      hint: 'Cache plain JSON data: strings, numbers, booleans, null, arrays and plain objects.',
    });
  }
}
