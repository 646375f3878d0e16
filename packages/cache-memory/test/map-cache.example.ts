// The "Writing your own backend" example of docs/cache-memory.md, verbatim: keep the two in step.
import { defineCacheBackend } from '@kalisto/core/plugin';

export function mapCache(options: { name?: string } = {}) {
  const entries = new Map<string, { value: unknown; expiresAt: number }>();
  return defineCacheBackend({
    name: options.name ?? 'map',
    async get<T>(key: string) {
      const entry = entries.get(key);
      if (entry === undefined || entry.expiresAt <= Date.now()) return undefined;
      return entry.value as T;
    },
    async set(key: string, value: unknown, ttlMs: number) {
      entries.set(key, { value, expiresAt: Date.now() + ttlMs });
    },
    async delete(key: string) {
      entries.delete(key);
    },
  });
}
