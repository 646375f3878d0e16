import { fileURLToPath } from 'node:url';
import { tokenEndpointBoundsSuite } from '@kalisto/test-support/token-provider';
import { oauth2TokenProvider } from '../src/index.js';

tokenEndpointBoundsSuite({
  provider: 'oauth2',
  factory: oauth2TokenProvider,
  factoryModule: [fileURLToPath(new URL('../src/index.ts', import.meta.url)), 'oauth2TokenProvider'],
  properties: (url, tenant) => ({
    'o365.oauth.provider': 'oauth2',
    'o365.oauth.url': `${url}/%s/token`,
    'o365.oauth.tenant': tenant,
    'o365.oauth.clientId': 'kalisto-client',
    'o365.oauth.clientSecret': 'client-secret-value',
    'o365.oauth.flow': 'client_credentials',
    'o365.oauth.scope': 'https://mail.example/.default',
  }),
  scopes: ['https://mail.example/.default'],
});
