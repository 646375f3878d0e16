/**
 * The discovery documents MSAL reads: OpenID configuration per tenant, instance discovery and the
 * JWKS. The same documents, serialized, are what `msalConfigFor()` hands MSAL as
 * `authorityMetadata` / `cloudDiscoveryMetadata` so it needs no request at all to find us.
 */
import type { JWK } from 'jose';

/** `/{tenant}/v2.0/.well-known/openid-configuration` for a tenant id. */
export function openIdConfiguration(baseUrl: string, tenantId: string): Record<string, unknown> {
  const t = `${baseUrl}/${tenantId}`;
  return {
    token_endpoint: `${t}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${t}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `${t}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${t}/openid/userinfo`,
    authorization_endpoint: `${t}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${t}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${t}/oauth2/v2.0/logout`,
    claims_supported: [
      'sub',
      'iss',
      'aud',
      'exp',
      'iat',
      'nbf',
      'name',
      'oid',
      'preferred_username',
      'tid',
      'ver',
    ],
    introspection_endpoint: `${baseUrl}/introspect`,
    tenant_region_scope: 'EU',
    cloud_instance_name: new URL(baseUrl).host,
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: 'graph.microsoft.com',
    rbac_url: 'https://pas.windows.net',
  };
}

/** `/common/discovery/instance`: this host is its own, only alias. */
export function instanceDiscovery(baseUrl: string): Record<string, unknown> {
  const host = new URL(baseUrl).host;
  return {
    tenant_discovery_endpoint: `${baseUrl}/{tenant}/v2.0/.well-known/openid-configuration`,
    'api-version': '1.1',
    metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
  };
}

/** The JWKS document: the sandbox's one signing key. */
export function jwks(key: JWK): { keys: JWK[] } {
  return { keys: [key] };
}
