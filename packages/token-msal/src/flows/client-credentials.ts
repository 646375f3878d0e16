import { randomUUID } from 'node:crypto';
import { createConfidentialApp, type MsalAppSettings } from '../msal-app.js';
import type { Flow } from './flow.js';

/**
 * `client_credentials`: an app-only token with the client secret or certificate. MSAL keeps the
 * token in its memory and renews it 5 minutes before expiry; `forceRefresh` skips that cache.
 */
export function clientCredentialsFlow(settings: MsalAppSettings): Flow {
  const app = createConfidentialApp(settings);
  return {
    acquire: (request) =>
      app.acquireTokenByClientCredential({
        scopes: [...request.scopes],
        skipCache: request.forceRefresh === true,
        correlationId: randomUUID(),
      }),
  };
}
