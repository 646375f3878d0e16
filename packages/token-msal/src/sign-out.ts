import type { CacheBackend, OAuthSettings } from '@kalisto/core';
import { msalCacheKey } from './cache-plugin.js';

/** Options of {@link signOutMsal}. */
export interface SignOutOptions {
  /** The session's cache backend (where the sign-in persisted MSAL's cache). */
  cache: CacheBackend;
  /** The session's OAuth settings: authority and client id name the entry. */
  oauth: OAuthSettings;
  /** The signed-in user (`o365.user`); the entry of sessions without one when left out. */
  user?: string | undefined;
}

/**
 * Signs the user out of this cache (what `kalisto logout` runs): deletes the persisted MSAL cache
 * of (authority, client id, user) — the account and its refresh token — so the next session must
 * sign in again. Returns whether there was an entry. The identity platform is not contacted: the
 * refresh token stops being usable here, not everywhere (revoking sessions is the tenant admin's).
 */
export async function signOutMsal(options: SignOutOptions): Promise<boolean> {
  const key = msalCacheKey({
    authority: options.oauth.authority,
    clientId: options.oauth.clientId,
    user: options.user,
  });
  const existed = (await options.cache.get(key)) !== undefined;
  await options.cache.delete(key);
  return existed;
}
