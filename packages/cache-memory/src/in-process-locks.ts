import type { CacheLock } from '@kalisto/core';

interface Holder {
  readonly owner: symbol;
  readonly expiresAt: number;
}

/**
 * Locks with expiry inside one process, so that the token manager speaks the same lock protocol
 * to every backend. A lock is free when nobody holds it or its holder's time ran out.
 */
export class InProcessLocks {
  readonly #holders = new Map<string, Holder>();

  acquire(key: string, ttlMs: number, now = Date.now()): CacheLock | undefined {
    const current = this.#holders.get(key);
    if (current !== undefined && current.expiresAt > now) return undefined;
    const owner = Symbol(key);
    this.#holders.set(key, { owner, expiresAt: now + ttlMs });
    return {
      release: async () => {
        // Only the owner frees the lock: after expiry it may already belong to someone else.
        if (this.#holders.get(key)?.owner === owner) this.#holders.delete(key);
      },
    };
  }
}
