import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { isSecret, type Secret } from '../config/secret.js';
import { ConfigError } from '../errors/errors.js';

/**
 * A 32-byte AES-256 key for cache values at rest: the bytes, 64 hex characters, base64 (standard
 * or URL-safe), or a `Secret` holding one of those texts.
 */
export type CacheEncryptionKey = string | Uint8Array | Secret;

/** The environment variable a cache backend reads when it is given no encryption key. */
export const CACHE_KEY_ENV = 'KALISTO_CACHE_KEY';

/** Options of {@link createValueSealer}. */
export interface ValueSealerOptions {
  /**
   * The key, or several for rotation: the first seals, all of them open. Default: `KALISTO_CACHE_KEY`
   * from `env`, else none (and no sealer).
   */
  key?: CacheEncryptionKey | readonly CacheEncryptionKey[];
  /** The option's name in a configuration error, e.g. `redisCache.encryptionKey`. Default `encryptionKey`. */
  property?: string;
  /** Where `KALISTO_CACHE_KEY` is read. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Encrypts cache values with AES-256-GCM, each bound to the cache key it is stored under: a value
 * copied to another key does not open. The format is `[version 1][key id][iv 12][tag 16][ciphertext]`;
 * the cache key is authenticated (AAD), not stored.
 */
export interface ValueSealer {
  /** Seals `text` (usually the value's JSON, see `toCacheJson`) for storage under `cacheKey`. */
  seal(cacheKey: string, text: string): Buffer;
  /**
   * The text sealed under `cacheKey`, or `undefined` when the bytes are not a value this sealer can
   * open: another format (e.g. clear JSON), an unknown key, tampered, or moved from another cache key.
   */
  open(cacheKey: string, sealed: Uint8Array): string | undefined;
}

const FORMAT_VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 2 + IV_BYTES + TAG_BYTES;

/**
 * Encryption at rest for a cache backend: resolves the key from `options.key`, else from
 * `KALISTO_CACHE_KEY`, and returns `undefined` when there is neither (the backend then stores values
 * in clear). A malformed key is a `ConfigError` naming the property, never showing the value.
 */
export function createValueSealer(options: ValueSealerOptions = {}): ValueSealer | undefined {
  const keys = resolveKeys(options);
  return keys === undefined ? undefined : sealerFor(keys);
}

interface KeyEntry {
  /** The first byte of the key's SHA-256: picks the key to try, so rotation costs no extra decryption. */
  id: number;
  key: Buffer;
}

function sealerFor(keys: readonly Buffer[]): ValueSealer {
  const entries: KeyEntry[] = keys.map((key) => ({ id: createHash('sha256').update(key).digest()[0]!, key }));
  const current = entries[0]!;
  return {
    seal(cacheKey, text) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', current.key, iv);
      cipher.setAAD(Buffer.from(cacheKey, 'utf8'));
      const body = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
      return Buffer.concat([Buffer.from([FORMAT_VERSION, current.id]), iv, cipher.getAuthTag(), body]);
    },
    open(cacheKey, sealed) {
      if (sealed.length < HEADER_BYTES || sealed[0] !== FORMAT_VERSION) return undefined;
      const bytes = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
      const iv = bytes.subarray(2, 2 + IV_BYTES);
      const tag = bytes.subarray(2 + IV_BYTES, HEADER_BYTES);
      const body = bytes.subarray(HEADER_BYTES);
      for (const entry of entries) {
        if (entry.id !== bytes[1]) continue;
        try {
          const decipher = createDecipheriv('aes-256-gcm', entry.key, iv);
          decipher.setAAD(Buffer.from(cacheKey, 'utf8'));
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

function resolveKeys({
  key,
  property = 'encryptionKey',
  env = process.env,
}: ValueSealerOptions): Buffer[] | undefined {
  const fromEnv = env[CACHE_KEY_ENV];
  const inputs: readonly CacheEncryptionKey[] =
    key === undefined
      ? fromEnv === undefined || fromEnv === ''
        ? []
        : [fromEnv]
      : Array.isArray(key)
        ? (key as readonly CacheEncryptionKey[])
        : [key as CacheEncryptionKey];
  if (inputs.length === 0) return undefined;
  const source = key === undefined ? CACHE_KEY_ENV : property;
  return inputs.map((input, index) => {
    const decoded = decodeKey(input);
    if (decoded === undefined) {
      throw new ConfigError([
        {
          property: inputs.length > 1 ? `${source}[${index}]` : source,
          expected: '32 random bytes, as 64 hex characters or base64 (e.g. `openssl rand -base64 32`)',
        },
      ]);
    }
    return decoded;
  });
}

const HEX_KEY = /^[0-9a-fA-F]{64}$/;
const BASE64_KEY = /^[A-Za-z0-9+/_-]{43}=?$/;

function decodeKey(input: CacheEncryptionKey): Buffer | undefined {
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
