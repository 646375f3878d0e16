/**
 * Synchronous RS256 verification of the sandbox's own tokens. The mail servers' verifier contract
 * (`MailAuthVerifier.verify`) is synchronous, and jose's verification is not, so this small
 * check uses node:crypto directly: compact JWS, `alg` RS256, our `kid`, a valid signature.
 */
import { verify } from 'node:crypto';
import type { SigningKey } from './tokens.js';

/** The outcome of `verifyJwtSignature`. */
export type JwtCheck =
  | { ok: true; claims: Record<string, unknown> }
  | { ok: false; reason: 'not_a_jwt' | 'unsupported_alg' | 'unknown_key' | 'bad_signature' };

function decodeJson(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Checks the token's form and signature against `key`; claims are not validated here. */
export function verifyJwtSignature(token: string, key: SigningKey): JwtCheck {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p)))
    return { ok: false, reason: 'not_a_jwt' };
  const [h = '', p = '', s = ''] = parts;
  const header = decodeJson(h);
  const claims = decodeJson(p);
  if (!header || !claims) return { ok: false, reason: 'not_a_jwt' };
  if (header.alg !== 'RS256') return { ok: false, reason: 'unsupported_alg' };
  if (header.kid !== key.kid) return { ok: false, reason: 'unknown_key' };
  const valid = verify('RSA-SHA256', Buffer.from(`${h}.${p}`), key.publicKey, Buffer.from(s, 'base64url'));
  return valid ? { ok: true, claims } : { ok: false, reason: 'bad_signature' };
}

/** A string claim, or undefined. */
export function stringClaim(claims: Record<string, unknown>, name: string): string | undefined {
  const value = claims[name];
  return typeof value === 'string' ? value : undefined;
}

/** A numeric claim, or undefined. */
export function numberClaim(claims: Record<string, unknown>, name: string): number | undefined {
  const value = claims[name];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}
