/** The `auth` options that make MSAL trust an authority without asking anyone about it. */
export interface OfflineAuthorityOptions {
  authority: string;
  knownAuthorities: string[];
  /** JSON of the authority's OpenID configuration (what `/.well-known/openid-configuration` says). */
  authorityMetadata: string;
  /** JSON of an instance discovery answer naming only this host. */
  cloudDiscoveryMetadata: string;
}

/**
 * Builds, from the authority URL alone (`https://host[:port]/tenant`), the metadata MSAL would
 * otherwise fetch: instance discovery from login.microsoftonline.com and the tenant's OpenID
 * configuration. With it MSAL sends nothing but token requests, to this host only — which is
 * what a sandbox, a sovereign cloud or a locked-down network needs.
 */
export function offlineAuthority(authority: string): OfflineAuthorityOptions {
  const url = new URL(authority);
  if (url.protocol !== 'https:') {
    throw new TypeError(`The authority must be an https URL (got ${url.protocol}//${url.host})`);
  }
  const base = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  const openIdConfiguration = {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    // MSAL derives the device code endpoint from this by replacing "/token" with "/devicecode".
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    issuer: `${base}/v2.0`,
    jwks_uri: `${base}/discovery/v2.0/keys`,
  };
  const instanceDiscovery = {
    tenant_discovery_endpoint: `${base}/v2.0/.well-known/openid-configuration`,
    metadata: [{ preferred_network: url.host, preferred_cache: url.host, aliases: [url.host] }],
  };
  return {
    authority: base,
    knownAuthorities: [url.host],
    authorityMetadata: JSON.stringify(openIdConfiguration),
    cloudDiscoveryMetadata: JSON.stringify(instanceDiscovery),
  };
}
