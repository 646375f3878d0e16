import { CacheError } from '@kalisto/core';

/** `value` as JSON, or `undefined` for a value JSON drops (undefined, a function); never throws anything but a CacheError. */
export function toJson(backend: string, value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch (error) {
    // The message names the problem (BigInt, circular structure), never the value.
    const reason = error instanceof Error ? error.message.split('\n', 1)[0] : String(error);
    throw new CacheError(`[cache:${backend}] The value cannot be stored as JSON: ${reason}`, {
      code: 'CACHE_INVALID_VALUE',
      backend,
      hint: 'Cache plain JSON data: strings, numbers, booleans, null, arrays and plain objects.',
    });
  }
}
