import { Secret } from '@kalisto/core';
import { describe, expect, it } from 'vitest';
import { createAuthenticator } from './authenticator.js';
import {
  hashRelayPassword,
  type ParsedPasswordHash,
  parsePasswordHash,
  verifyPasswordHash,
} from './password-hash.js';

const LOCKOUT = { attempts: 5, addressAttempts: 1000, windowMs: 60_000, durationMs: 60_000, maxTracked: 100 };

async function userWithHash(name: string, password: string) {
  const text = await hashRelayPassword(password);
  const hash = parsePasswordHash(text) as ParsedPasswordHash;
  return { name, mailbox: `${name}@contoso.example`, passwordHash: new Secret(text), hash };
}

/** The real check, counting how many run at once and in total. */
function countingVerify() {
  const seen = { calls: 0, running: 0, peak: 0 };
  const verify = async (password: string, hash: ParsedPasswordHash) => {
    seen.calls += 1;
    seen.running += 1;
    seen.peak = Math.max(seen.peak, seen.running);
    try {
      return await verifyPasswordHash(password, hash);
    } finally {
      seen.running -= 1;
    }
  };
  return { seen, verify };
}

describe('createAuthenticator under a burst of logins', () => {
  it('runs one scrypt for 100 simultaneous logins with the same credential', async () => {
    const { seen, verify } = countingVerify();
    const auth = createAuthenticator({
      users: [await userWithHash('printer', 'pw-1')],
      lockout: LOCKOUT,
      verify,
    });
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => auth.authenticate('printer', 'pw-1', `10.0.0.${i % 250}`)),
    );
    expect(results.every((result) => result.ok)).toBe(true);
    expect(seen.calls).toBe(1);
  });

  it('runs at most maxConcurrentHashes checks at once for distinct credentials, and answers each', async () => {
    const { seen, verify } = countingVerify();
    const users = await Promise.all(
      Array.from({ length: 6 }, (_, i) => userWithHash(`device${i}`, `pw-${i}`)),
    );
    const auth = createAuthenticator({ users, lockout: LOCKOUT, verify, maxConcurrentHashes: 2 });
    const results = await Promise.all([
      ...users.map((user, i) => auth.authenticate(user.name, `pw-${i}`, '10.0.0.1')),
      auth.authenticate('device0', 'wrong', '10.0.0.2'),
    ]);
    expect(results.map((result) => result.ok)).toEqual([true, true, true, true, true, true, false]);
    expect(seen.calls).toBe(7);
    expect(seen.peak).toBe(2);
  });

  it('does not let a wrong password ride on a good check of the same user', async () => {
    const auth = createAuthenticator({ users: [await userWithHash('erp', 'right')], lockout: LOCKOUT });
    const [good, bad] = await Promise.all([
      auth.authenticate('erp', 'right', '10.0.0.1'),
      auth.authenticate('erp', 'wrong', '10.0.0.1'),
    ]);
    expect(good.ok).toBe(true);
    expect(bad.ok).toBe(false);
  });
});
