/**
 * Checks relay credentials: the user's scrypt hash, the lockout, and a short-lived cache of good
 * logins so a device that logs in for every message costs one scrypt per few minutes, not one per
 * message. The cache keeps an HMAC of (user, password) under a per-process random key — never
 * the password. A burst of logins (every device reconnecting after a restart) runs one scrypt per
 * distinct (user, password) and at most `maxConcurrentHashes` at once: scrypt runs on libuv's
 * thread pool (4 threads), which the token request's DNS lookup and file reads also need.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { createLockout, type Lockout } from './lockout.js';
import { type ParsedPasswordHash, SCRYPT_DEFAULTS, verifyPasswordHash } from './password-hash.js';
import type { LockoutSettings, RelayUser } from './relay-config.js';

export type AuthenticationResult =
  | { readonly ok: true; readonly user: string; readonly mailbox: string }
  | {
      readonly ok: false;
      readonly reason: 'invalid' | 'locked';
      readonly retryAfterMs: number;
      /** The login name is a configured user (an unknown one may be a password typed in the wrong field: never log it). */
      readonly knownUser: boolean;
    };

export interface Authenticator {
  authenticate(user: string, password: string, remoteAddress: string): Promise<AuthenticationResult>;
  readonly lockout: Lockout;
}

export interface AuthenticatorOptions {
  users: readonly RelayUser[];
  lockout: LockoutSettings;
  now?: () => number;
  /** How long a good login is remembered, ms. Default 5 minutes. */
  cacheTtlMs?: number;
  /** Good logins remembered at once. Default 1000. */
  cacheSize?: number;
  /** scrypt derivations running at once; the rest wait in order. Default 2 (half of libuv's pool). */
  maxConcurrentHashes?: number;
  /** The hash check; replaceable to count calls in tests. */
  verify?: typeof verifyPasswordHash;
}

/** Runs at most `limit` tasks at once, the others in arrival order. */
function createTaskLimiter(limit: number) {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    else running += 1;
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running -= 1;
    }
  };
}

/** Checked for unknown users, so the time taken does not tell which names exist. */
const DECOY: ParsedPasswordHash = {
  N: SCRYPT_DEFAULTS.N,
  r: SCRYPT_DEFAULTS.r,
  p: SCRYPT_DEFAULTS.p,
  salt: randomBytes(SCRYPT_DEFAULTS.saltBytes),
  hash: randomBytes(SCRYPT_DEFAULTS.hashBytes),
};

export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const now = options.now ?? Date.now;
  const users = new Map(options.users.map((user) => [user.name.toLowerCase(), user]));
  const lockout = createLockout(options.lockout, now);
  const cacheKey = randomBytes(32);
  const ttl = options.cacheTtlMs ?? 300_000;
  const maxCached = options.cacheSize ?? 1000;
  const remembered = new Map<string, number>();
  const verify = options.verify ?? verifyPasswordHash;
  const limited = createTaskLimiter(Math.max(1, options.maxConcurrentHashes ?? 2));
  /** Checks under way, by fingerprint: concurrent logins with the same credential share one. */
  const checking = new Map<string, Promise<boolean>>();

  const check = (mark: string, password: string, hash: ParsedPasswordHash): Promise<boolean> => {
    const pending = checking.get(mark);
    if (pending) return pending;
    const result = limited(() => verify(password, hash)).finally(() => checking.delete(mark));
    checking.set(mark, result);
    return result;
  };

  const fingerprint = (user: string, password: string) =>
    createHmac('sha256', cacheKey).update(user).update('\0').update(password).digest('base64');

  return {
    lockout,
    async authenticate(login, password, remoteAddress) {
      const name = login.toLowerCase();
      const locked = lockout.check(name, remoteAddress);
      const user = users.get(name);
      const knownUser = user !== undefined;
      if (locked.locked) return { ok: false, reason: 'locked', retryAfterMs: locked.retryAfterMs, knownUser };
      const mark = fingerprint(name, password);
      const until = remembered.get(mark);
      let good: boolean;
      if (user && until !== undefined && until > now()) good = true;
      else {
        remembered.delete(mark);
        good = (await check(mark, password, user?.hash ?? DECOY)) && user !== undefined;
      }
      if (!good || !user) {
        // This attempt is answered as a wrong password even when it locks; the next ones are locked out.
        lockout.fail(name, remoteAddress);
        return { ok: false, reason: 'invalid', retryAfterMs: 0, knownUser };
      }
      lockout.succeed(name);
      if (!remembered.has(mark)) {
        if (remembered.size >= maxCached) {
          const oldest = remembered.keys().next().value;
          if (oldest !== undefined) remembered.delete(oldest);
        }
        remembered.set(mark, now() + ttl);
      }
      return { ok: true, user: user.name, mailbox: user.mailbox };
    },
  };
}
