import type { VerifierRecord } from './credential-verifier.js';
import type { AccessToken } from './types.js';

/** What the token manager keeps: the token and the moment it stops being served. */
export interface CachedToken {
  token: AccessToken;
  /** Epoch ms; from then on the token is refreshed instead of served. */
  refreshAt: number;
}

/** What the shared cache stores: a {@link CachedToken} bound to the credential that obtained it. */
export interface SharedCachedToken extends CachedToken {
  verifier: VerifierRecord;
}

/** The bytes a verifier's MAC covers: every field served from the entry, so none can be swapped. */
export function tokenBinding(entry: CachedToken): string {
  const { accessToken, expiresAt, scopes, account } = entry.token;
  return JSON.stringify([accessToken, expiresAt, entry.refreshAt, scopes, account ?? null]);
}

/**
 * A cache value checked to be a token envelope with a verifier; anything else (the format before
 * verifiers, corruption) is a miss. The verifier itself is checked by the caller.
 */
export function parseCachedToken(value: unknown): (CachedToken & { verifier: unknown }) | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { token, refreshAt, verifier } = value as Partial<SharedCachedToken>;
  if (typeof refreshAt !== 'number' || typeof token !== 'object' || token === null) return undefined;
  if (typeof verifier !== 'object' || verifier === null) return undefined;
  const { accessToken, expiresAt, scopes, account } = token as Partial<AccessToken>;
  if (
    typeof accessToken !== 'string' ||
    accessToken === '' ||
    typeof expiresAt !== 'number' ||
    !Array.isArray(scopes) ||
    !scopes.every((scope) => typeof scope === 'string')
  ) {
    return undefined;
  }
  return {
    refreshAt,
    verifier,
    token: { accessToken, expiresAt, scopes, ...(typeof account === 'string' ? { account } : {}) },
  };
}
