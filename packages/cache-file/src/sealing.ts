import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { ConfigError, isSecret, type Secret } from '@kalisto/core';

/** A 32-byte AES-256 key: bytes, 64 hex characters, base64 (standard or URL-safe), or a core `Secret` of those. */
export type EncryptionKeyInput = string | Uint8Array | Secret;

/** The environment variable read when no `encryptionKey` option is given. */
export const CACHE_KEY_ENV = 'KALISTO_CACHE_KEY';

const FORMAT_VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 2 + IV_BYTES + TAG_BYTES;

/** Seals values with AES-256-GCM, bound to the cache key they are stored under. */
export interface Sealer {
  /** `[version][key id][iv 12][tag 16][ciphertext]`; `aad` (the storage key) is authenticated, not stored. */
  seal(plaintext: string, aad: string): Buffer;
  /** The plaintext, or `undefined` when the value is not ours: other format, unknown key, tampered, moved. */
  open(sealed: Uint8Array, aad: string): string | undefined;
}

interface KeyEntry {
  id: number;
  key: Buffer;
}

/**
 * Builds a sealer from one key, or from several for rotation: the first seals, all of them open.
 * A key id byte (from the key's SHA-256) picks the key to try, so rotation costs no extra decryption.
 */
export function createSealer(keys: readonly Buffer[]): Sealer {
  const entries: KeyEntry[] = keys.map((key) => ({ id: createHash('sha256').update(key).digest()[0]!, key }));
  const current = entries[0];
  if (current === undefined) throw new TypeError('createSealer needs at least one key');
  return {
    seal(plaintext, aad) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', current.key, iv);
      cipher.setAAD(Buffer.from(aad, 'utf8'));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return Buffer.concat([Buffer.from([FORMAT_VERSION, current.id]), iv, cipher.getAuthTag(), body]);
    },
    open(sealed, aad) {
      if (sealed.length < HEADER_BYTES || sealed[0] !== FORMAT_VERSION) return undefined;
      const bytes = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
      const iv = bytes.subarray(2, 2 + IV_BYTES);
      const tag = bytes.subarray(2 + IV_BYTES, HEADER_BYTES);
      const body = bytes.subarray(HEADER_BYTES);
      for (const entry of entries) {
        if (entry.id !== bytes[1]) continue;
        try {
          const decipher = createDecipheriv('aes-256-gcm', entry.key, iv);
          decipher.setAAD(Buffer.from(aad, 'utf8'));
          decipher.setAuthTag(tag);
          return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
        } catch {
          // Wrong key with a colliding id, or tampered/moved: try the next key, else not ours.
        }
      }
      return undefined;
    },
  };
}

const HEX_KEY = /^[0-9a-fA-F]{64}$/;
const BASE64_KEY = /^[A-Za-z0-9+/_-]{43}=?$/;

function decodeKey(input: EncryptionKeyInput): Buffer | undefined {
  if (isSecret(input)) return decodeKey(input.reveal());
  if (typeof input !== 'string') return input.length === 32 ? Buffer.from(input) : undefined;
  const text = input.trim();
  if (HEX_KEY.test(text)) return Buffer.from(text, 'hex');
  if (BASE64_KEY.test(text)) {
    const bytes = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    return bytes.length === 32 ? bytes : undefined;
  }
  return undefined;
}

/**
 * The keys to seal with: from the option, else from `KALISTO_CACHE_KEY`, else none (values stored in clear).
 * A malformed key is a ConfigError that names the property but never shows the value.
 */
export function resolveEncryptionKeys(
  option: EncryptionKeyInput | readonly EncryptionKeyInput[] | undefined,
  property: string,
  env: NodeJS.ProcessEnv = process.env,
): Buffer[] | undefined {
  const fromEnv = env[CACHE_KEY_ENV];
  const inputs =
    option === undefined
      ? fromEnv === undefined || fromEnv === ''
        ? []
        : [fromEnv]
      : Array.isArray(option)
        ? (option as readonly EncryptionKeyInput[])
        : [option as EncryptionKeyInput];
  if (inputs.length === 0) return undefined;
  const source = option === undefined ? CACHE_KEY_ENV : property;
  return inputs.map((input, index) => {
    const key = decodeKey(input);
    if (key === undefined) {
      throw new ConfigError([
        {
          property: inputs.length > 1 ? `${source}[${index}]` : source,
          expected: '32 random bytes, as 64 hex characters or base64 (e.g. `openssl rand -base64 32`)',
        },
      ]);
    }
    return key;
  });
}
