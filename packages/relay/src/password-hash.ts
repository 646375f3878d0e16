/**
 * Relay credentials at rest: scrypt (node:crypto) in one self-describing string,
 * `scrypt$<N>$<r>$<p>$<salt>$<hash>` (salt and hash base64url), checked in constant time.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/** Cost parameters of new hashes: N = 2^15, r = 8, p = 1 (32 MiB, tens of ms per check). */
export const SCRYPT_DEFAULTS = { N: 32_768, r: 8, p: 1, saltBytes: 16, hashBytes: 32 } as const;

/** Bounds a hash in a configuration may ask for: a typo must not make every login cost a gigabyte. */
const LIMITS = { maxN: 1_048_576, maxR: 32, maxP: 16, minHashBytes: 16, maxHashBytes: 128 } as const;

export interface ParsedPasswordHash {
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: Buffer;
  readonly hash: Buffer;
}

const FORMAT = /^scrypt\$(\d{1,8})\$(\d{1,3})\$(\d{1,3})\$([A-Za-z0-9_-]{16,})\$([A-Za-z0-9_-]{22,})$/;

/** The parameters of a stored hash, or a description of what is wrong (never the value). */
export function parsePasswordHash(text: string): ParsedPasswordHash | { problem: string } {
  const match = FORMAT.exec(text.trim());
  if (!match) {
    return {
      problem:
        'a relay password hash from `kalisto relay hash-password` (scrypt$N$r$p$salt$hash); a plain password is refused',
    };
  }
  const [, n, r, p, salt, hash] = match as unknown as [string, string, string, string, string, string];
  const N = Number(n);
  const parsed = {
    N,
    r: Number(r),
    p: Number(p),
    salt: Buffer.from(salt, 'base64url'),
    hash: Buffer.from(hash, 'base64url'),
  };
  const powerOfTwo = N > 1 && (N & (N - 1)) === 0;
  if (!powerOfTwo || N > LIMITS.maxN)
    return { problem: `an scrypt N that is a power of two up to ${LIMITS.maxN}` };
  if (parsed.r < 1 || parsed.r > LIMITS.maxR || parsed.p < 1 || parsed.p > LIMITS.maxP) {
    return { problem: `scrypt r 1-${LIMITS.maxR} and p 1-${LIMITS.maxP}` };
  }
  if (parsed.hash.length < LIMITS.minHashBytes || parsed.hash.length > LIMITS.maxHashBytes) {
    return { problem: `an scrypt hash of ${LIMITS.minHashBytes}-${LIMITS.maxHashBytes} bytes` };
  }
  return parsed;
}

function derive(password: string, salt: Buffer, params: { N: number; r: number; p: number }, length: number) {
  return new Promise<Buffer>((resolve, reject) => {
    // scrypt needs 128·N·r bytes; the default maxmem (32 MiB) is exactly the default's need.
    const maxmem = 256 * params.N * params.r + 1024 * 1024;
    scrypt(password.normalize('NFC'), salt, length, { ...params, maxmem }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/**
 * Hashes a relay password for `kalisto.relay.user.<name>.password` (what
 * `kalisto relay hash-password` prints). A fresh random salt each time.
 */
export async function hashRelayPassword(password: string): Promise<string> {
  if (typeof password !== 'string' || password.length === 0) {
    throw new TypeError('hashRelayPassword needs a non-empty password');
  }
  const { N, r, p, saltBytes, hashBytes } = SCRYPT_DEFAULTS;
  const salt = randomBytes(saltBytes);
  const hash = await derive(password, salt, { N, r, p }, hashBytes);
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

/** True when `password` matches the parsed hash; the comparison takes the same time either way. */
export async function verifyPasswordHash(password: string, stored: ParsedPasswordHash): Promise<boolean> {
  const candidate = await derive(password, stored.salt, stored, stored.hash.length);
  return timingSafeEqual(candidate, stored.hash);
}
