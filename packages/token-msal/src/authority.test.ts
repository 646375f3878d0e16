import { describe, expect, it } from 'vitest';
import { offlineAuthority } from './authority.js';

describe('offlineAuthority', () => {
  it('describes the authority host and tenant without asking the network', () => {
    const options = offlineAuthority('https://127.0.0.1:8443/contoso.example/');
    expect(options.authority).toBe('https://127.0.0.1:8443/contoso.example');
    expect(options.knownAuthorities).toEqual(['127.0.0.1:8443']);
    const metadata = JSON.parse(options.authorityMetadata);
    expect(metadata.token_endpoint).toBe('https://127.0.0.1:8443/contoso.example/oauth2/v2.0/token');
    expect(metadata.issuer).toBe('https://127.0.0.1:8443/contoso.example/v2.0');
    // MSAL derives the device code endpoint by replacing "/token" in the token endpoint.
    expect(metadata.token_endpoint.replace('/token', '/devicecode')).toBe(
      metadata.device_authorization_endpoint,
    );
    const discovery = JSON.parse(options.cloudDiscoveryMetadata);
    expect(discovery.metadata).toEqual([
      { preferred_network: '127.0.0.1:8443', preferred_cache: '127.0.0.1:8443', aliases: ['127.0.0.1:8443'] },
    ]);
  });

  it('keeps the default port out of the host of a public cloud', () => {
    const options = offlineAuthority('https://login.microsoftonline.us/161ee23e-798c-481d-975a-39345f76032a');
    expect(options.knownAuthorities).toEqual(['login.microsoftonline.us']);
  });

  it('refuses an authority that is not https', () => {
    expect(() => offlineAuthority('http://127.0.0.1:8080/contoso.example')).toThrow(/must be an https URL/);
  });
});
