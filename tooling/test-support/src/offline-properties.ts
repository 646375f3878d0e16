/**
 * A complete property map for unit tests that resolve a configuration but reach no server: the
 * client credentials flow of a made-up app, opening adele's mailbox.
 */
export const OFFLINE_PROPERTIES: Readonly<Record<string, string>> = {
  'o365.oauth.tenant': 'contoso.example',
  'o365.oauth.clientId': '00000000-0000-0000-0000-000000000001',
  'o365.oauth.clientSecret': 'not-a-real-secret',
  'o365.oauth.flow': 'client_credentials',
  'o365.user': 'adele@contoso.example',
};
