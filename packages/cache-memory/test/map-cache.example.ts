// The "Writing your own backend" example of README.md, verbatim: keep the two in step.
import type { CacheBackend } from '@kalisto/core';

export function mapCache(): CacheBackend {
  const entries = new Map<string, { value: unknown; expiresAt: number }>();
  return {
    name: 'map',
    async get<T>(key: string) {
      const entry = entries.get(key);
      if (entry === undefined || entry.expiresAt <= Date.now()) return undefined;
      return entry.value as T;
    },
    async set(key, value, ttlMs) {
      entries.set(key, { value, expiresAt: Date.now() + ttlMs });
    },
    async delete(key) {
      entries.delete(key);
    },
  };
}
