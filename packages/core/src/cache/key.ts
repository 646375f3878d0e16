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
  /**
   * The token endpoint, when it is not the authority's standard `…/oauth2/v2.0/token` (see
   * {@link tokenEndpointForKey}): two fixed endpoints on one host, without a tenant, would otherwise
   * share a key. Left out, the key is the one earlier versions computed.
   */
  tokenUrl?: string | undefined;
}

const normalizeUrl = (url: string): string => url.trim().replace(/\/+$/, '').toLowerCase();

/**
 * The token URL to put in the key: `undefined` when it is the authority's standard v2.0 endpoint
 * (the authority already identifies it, and keys of tenant configurations stay as they were), the
 * URL otherwise (a fixed `o365.oauth.url` without `%s`, or a custom path).
 */
export function tokenEndpointForKey(authority: string, tokenUrl: string): string | undefined {
  if (tokenUrl.trim() === '') return undefined;
  return normalizeUrl(tokenUrl) === `${normalizeUrl(authority)}/oauth2/v2.0/token` ? undefined : tokenUrl;
}

/**
 * A stable cache key for a token: `kalisto:token:v1:` + a SHA-256 hex digest of the parts.
 * Scopes are sorted and de-duplicated, and the case-insensitive parts (authority, tenant, client id,
 * user, token URL) are lower-cased, so equal requests share a key and different tenants or token
 * endpoints never do.
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
    // Appended only when present, so that keys without it are unchanged.
    ...(parts.tokenUrl === undefined ? [] : [normalizeUrl(parts.tokenUrl)]),
  ]);
  return TOKEN_CACHE_KEY_PREFIX + createHash('sha256').update(canonical).digest('hex');
}
