import { describe, expect, it } from 'vitest';
import {
  hashRelayPassword,
  parsePasswordHash,
  SCRYPT_DEFAULTS,
  verifyPasswordHash,
} from './password-hash.js';

const parsed = (text: string) => {
  const result = parsePasswordHash(text);
  if ('problem' in result) throw new Error(result.problem);
  return result;
};

describe('hashRelayPassword', () => {
  it('makes scrypt$N$r$p$salt$hash that verifies the password and nothing else', async () => {
    const hash = await hashRelayPassword('correct horse');
    expect(hash).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(await verifyPasswordHash('correct horse', parsed(hash))).toBe(true);
    expect(await verifyPasswordHash('correct hors', parsed(hash))).toBe(false);
    expect(await verifyPasswordHash('', parsed(hash))).toBe(false);
  });

  it('salts every hash: the same password twice gives two hashes', async () => {
    expect(await hashRelayPassword('same')).not.toBe(await hashRelayPassword('same'));
  });

  it('refuses an empty password', async () => {
    await expect(hashRelayPassword('')).rejects.toThrow(TypeError);
  });

  it('verifies a hash with other parameters than the defaults', async () => {
    const hash = await hashRelayPassword('x');
    const [, , , , salt, digest] = hash.split('$');
    const other = parsed(`scrypt$1024$8$1$${salt}$${digest}`);
    expect(other.N).toBe(1024);
    expect(await verifyPasswordHash('x', other)).toBe(false);
    expect(SCRYPT_DEFAULTS.N).toBe(32_768);
  });
});

describe('parsePasswordHash', () => {
  it.each([
    ['a plain password', 'Relay-Password-1!'],
    ['a bcrypt hash', '$2b$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234'],
    [
      'N not a power of two',
      'scrypt$1000$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    ],
    ['N too large', 'scrypt$4194304$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['r too large', 'scrypt$1024$64$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
  ])('refuses %s, without echoing it', (_what, text) => {
    const result = parsePasswordHash(text);
    expect('problem' in result).toBe(true);
    expect(JSON.stringify(result)).not.toContain(text);
  });
});
