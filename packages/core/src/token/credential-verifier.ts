import { createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { isSecret, type Secret } from '../config/secret.js';
import type { OAuthSettings } from '../config/types.js';

/**
 * What identifies the credential a token is obtained with: labelled values (secrets stay `Secret`s).
 * An empty list is a flow with no configured credential (device code, managed identity).
 */
export type CredentialMaterial = readonly (readonly [label: string, value: string | Secret | undefined])[];

/** Stored beside a cached value: proves which credential wrote it, without revealing the credential. */
export interface VerifierRecord {
  /** Format version. */
  v: 1;
  /** The entry's random salt (base64url); the cache key is appended to it before derivation. */
  salt: string;
  /** HMAC-SHA256 of the value under the key scrypt derives from the credential (base64url). */
  mac: string;
}

/** Binds cached values to the credential of one session (see {@link createCredentialVerifier}). */
export interface CredentialVerifier {
  /** A record binding `data`, stored under `cacheKey`, to this credential. */
  sign(cacheKey: string, data: string): Promise<VerifierRecord>;
  /**
   * Whether `record` was made by a holder of this credential for exactly `data` under `cacheKey`
   * (compared in constant time). Anything malformed or missing is `false`.
   */
  verify(cacheKey: string, data: string, record: unknown): Promise<boolean>;
}

/** scrypt cost parameters. */
export interface ScryptCost {
  N: number;
  r: number;
  p: number;
}

/** scrypt's interactive-login cost: 16 MiB of memory per derivation. */
export const DEFAULT_VERIFIER_COST: ScryptCost = { N: 16_384, r: 8, p: 1 };

export interface CredentialVerifierOptions {
  /** The KDF's cost. Default {@link DEFAULT_VERIFIER_COST}. */
  cost?: ScryptCost | undefined;
  /** How many derived keys (one per entry salt) are remembered. Default 64. */
  memoSize?: number | undefined;
  /** Called for every scrypt derivation (the expensive step), e.g. for metrics. */
  onDerive?: (() => void) | undefined;
}

const SALT_BYTES = 16;
const MAC_BYTES = 32;
const MAC_CONTEXT = 'kalisto-credential-verifier-v1\0';

/**
 * The credential material of a configuration, per flow: the client credential (secret, or
 * certificate thumbprint and private key) of every flow but managed identity, the user's password
 * for the password flow, then `extra` (what a provider declares, e.g. an imported refresh token).
 * Device code and managed identity configure no credential: their tokens are bound to the cache
 * key alone (tenant, client, user), i.e. to whoever can read the cache.
 */
export function credentialMaterial(oauth: OAuthSettings, extra: CredentialMaterial = []): CredentialMaterial {
  const parts: [string, string | Secret | undefined][] = [];
  if (oauth.flow !== 'managed_identity') {
    if (oauth.certificate !== undefined) {
      const thumbprint = oauth.certificate.thumbprint.replace(/[^0-9a-f]/gi, '').toUpperCase();
      parts.push(
        ['certificate.thumbprint', thumbprint],
        ['certificate.privateKey', oauth.certificate.privateKey],
      );
    }
    parts.push(['clientSecret', oauth.clientSecret]);
  }
  if (oauth.flow === 'password') parts.push(['password', oauth.password]);
  return [...parts, ...extra];
}

/**
 * A verifier of one credential. A record's MAC key is `scrypt(credential, salt ‖ cacheKey)` with a
 * random per-entry salt, so a stolen record costs a full scrypt per password guess and per entry, and
 * a record copied to another key does not verify. Derived keys are memoized per (cache key, salt):
 * a value is verified with one scrypt the first time and an HMAC afterwards, and an entry this
 * verifier signed or verified keeps its salt for the next write under that key (no scrypt at all).
 */
export function createCredentialVerifier(
  material: CredentialMaterial,
  options: CredentialVerifierOptions = {},
): CredentialVerifier {
  const cost = options.cost ?? DEFAULT_VERIFIER_COST;
  const memoSize = Math.max(1, options.memoSize ?? 64);
  const canonical = JSON.stringify(
    material
      .filter(([, value]) => value !== undefined)
      .map(([label, value]) => [label, isSecret(value) ? value.reveal() : value]),
  );
  const derived = new Map<string, Promise<Buffer>>();
  const ownSalt = new Map<string, Buffer>();

  const remember = <V>(map: Map<string, V>, id: string, value: V) => {
    map.delete(id);
    map.set(id, value);
    if (map.size > memoSize) map.delete(map.keys().next().value as string);
  };

  function keyFor(cacheKey: string, salt: Buffer): Promise<Buffer> {
    const id = `${cacheKey}\0${salt.toString('base64url')}`;
    let key = derived.get(id);
    if (key === undefined) {
      options.onDerive?.();
      key = new Promise<Buffer>((resolve, reject) =>
        scrypt(
          canonical,
          Buffer.concat([salt, Buffer.from(cacheKey, 'utf8')]),
          MAC_BYTES,
          { ...cost, maxmem: 256 * cost.N * cost.r },
          (error, bytes) => (error ? reject(error) : resolve(bytes)),
        ),
      );
      // A failed derivation is not remembered.
      key.catch(() => derived.delete(id));
      remember(derived, id, key);
    }
    return key;
  }

  const mac = (key: Buffer, data: string) =>
    createHmac('sha256', key).update(MAC_CONTEXT).update(data, 'utf8').digest();

  return {
    async sign(cacheKey, data) {
      const salt = ownSalt.get(cacheKey) ?? randomBytes(SALT_BYTES);
      const tag = mac(await keyFor(cacheKey, salt), data);
      remember(ownSalt, cacheKey, salt);
      return { v: 1, salt: salt.toString('base64url'), mac: tag.toString('base64url') };
    },
    async verify(cacheKey, data, record) {
      const parsed = parseRecord(record);
      if (parsed === undefined) return false;
      const expected = mac(await keyFor(cacheKey, parsed.salt), data);
      if (!timingSafeEqual(expected, parsed.mac)) return false;
      remember(ownSalt, cacheKey, parsed.salt);
      return true;
    },
  };
}

function parseRecord(record: unknown): { salt: Buffer; mac: Buffer } | undefined {
  if (typeof record !== 'object' || record === null) return undefined;
  const { v, salt, mac } = record as Partial<Record<keyof VerifierRecord, unknown>>;
  if (v !== 1 || typeof salt !== 'string' || typeof mac !== 'string') return undefined;
  const saltBytes = Buffer.from(salt, 'base64url');
  const macBytes = Buffer.from(mac, 'base64url');
  if (saltBytes.length !== SALT_BYTES || macBytes.length !== MAC_BYTES) return undefined;
  return { salt: saltBytes, mac: macBytes };
}
