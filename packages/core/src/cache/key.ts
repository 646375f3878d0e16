import { createHash } from 'node:crypto';

/** Every token cache key starts with this; the version changes if the key recipe ever does. */
export const TOKEN_CACHE_KEY_PREFIX = 'kalisto:token:v1:';

/** What identifies a token. None of it is secret, and none of it ends up readable in the key. */
export interface TokenCacheKeyParts {
  /** Authority URL, e.g. `https://login.microsoftonline.com/contoso.example`. */
  authority: string;
  /** Directory (tenant) id or verified domain. */
  tenant: string;
  /** Application (client) id. */
  clientId: string;
  /** The grant, e.g. `client_credentials`. */
  flow: string;
  /** The delegated user; leave out for app-only tokens so every mailbox shares one token. */
  user?: string | undefined;
  scopes: readonly string[];
}

/**
 * A stable cache key for a token: `kalisto:token:v1:` + a SHA-256 hex digest of the parts.
 * Scopes are sorted and de-duplicated, and the case-insensitive parts (authority, tenant, client id,
 * user) are lower-cased, so equal requests share a key and different tenants never do.
 */
export function tokenCacheKey(parts: TokenCacheKeyParts): string {
  const scopes = [...new Set(parts.scopes.map((s) => s.trim()).filter((s) => s !== ''))].sort();
  // A JSON array keeps the fields apart: no choice of separator can make two requests collide.
  const canonical = JSON.stringify([
    parts.authority.trim().replace(/\/+$/, '').toLowerCase(),
    parts.tenant.trim().toLowerCase(),
    parts.clientId.trim().toLowerCase(),
    parts.flow,
    parts.user?.trim().toLowerCase() ?? null,
    scopes,
  ]);
  return TOKEN_CACHE_KEY_PREFIX + createHash('sha256').update(canonical).digest('hex');
}
