/**
 * Failed-login lockout per user name and per client address, in bounded memory: each table keeps at
 * most `maxTracked` keys (the least recently touched is forgotten first) and each key at most
 * `attempts` timestamps.
 */
import type { LockoutSettings } from './relay-config.js';

export interface LockoutState {
  /** Locked: refuse without checking the password. */
  readonly locked: boolean;
  /** ms until the lock ends (0 when not locked). */
  readonly retryAfterMs: number;
}

export interface Lockout {
  /** Whether the user name or the client address is locked now. */
  check(user: string, address: string): LockoutState;
  /** Records a failed login; returns whether it locked the user or the address. */
  fail(user: string, address: string): LockoutState;
  /** A good login clears the user's failures (the address keeps its count). */
  succeed(user: string): void;
  /** Keys tracked (users, addresses), for tests and metrics. */
  size(): { users: number; addresses: number };
}

interface Entry {
  failures: number[];
  lockedUntil: number;
}

class Table {
  readonly #entries = new Map<string, Entry>();
  constructor(
    readonly limit: number,
    readonly windowMs: number,
    readonly durationMs: number,
    readonly maxTracked: number,
  ) {}

  get size(): number {
    return this.#entries.size;
  }

  lockedFor(key: string, now: number): number {
    const entry = this.#entries.get(key);
    return entry && entry.lockedUntil > now ? entry.lockedUntil - now : 0;
  }

  fail(key: string, now: number): number {
    let entry = this.#entries.get(key);
    if (entry) this.#entries.delete(key);
    else {
      entry = { failures: [], lockedUntil: 0 };
      if (this.#entries.size >= this.maxTracked) {
        const oldest = this.#entries.keys().next().value;
        if (oldest !== undefined) this.#entries.delete(oldest);
      }
    }
    // Re-inserted: the most recently touched key is the last one evicted.
    this.#entries.set(key, entry);
    entry.failures = entry.failures.filter((at) => now - at < this.windowMs);
    entry.failures.push(now);
    if (entry.failures.length > this.limit) entry.failures.splice(0, entry.failures.length - this.limit);
    if (entry.failures.length >= this.limit) {
      entry.lockedUntil = now + this.durationMs;
      entry.failures = [];
    }
    return this.lockedFor(key, now);
  }

  clear(key: string): void {
    this.#entries.delete(key);
  }
}

export function createLockout(settings: LockoutSettings, now: () => number = Date.now): Lockout {
  const users = new Table(settings.attempts, settings.windowMs, settings.durationMs, settings.maxTracked);
  const addresses = new Table(
    settings.addressAttempts,
    settings.windowMs,
    settings.durationMs,
    settings.maxTracked,
  );
  const userKey = (user: string) => user.toLowerCase();
  const state = (ms: number): LockoutState => ({ locked: ms > 0, retryAfterMs: ms });
  return {
    check(user, address) {
      const at = now();
      return state(Math.max(users.lockedFor(userKey(user), at), addresses.lockedFor(address, at)));
    },
    fail(user, address) {
      const at = now();
      return state(Math.max(users.fail(userKey(user), at), addresses.fail(address, at)));
    },
    succeed(user) {
      users.clear(userKey(user));
    },
    size: () => ({ users: users.size, addresses: addresses.size }),
  };
}
