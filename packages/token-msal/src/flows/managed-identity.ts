import { ManagedIdentityApplication, type ManagedIdentityIdParams } from '@azure/msal-node';
import { ConfigError } from '@kalisto/core';
import { type MsalAppSettings, msalLoggerOptions } from '../msal-app.js';
import type { ManagedIdentityOptions } from '../options.js';
import type { Flow } from './flow.js';

/**
 * The resource a managed identity token is for: managed identity endpoints take one resource,
 * not scopes, so exactly one scope is accepted and its `/.default` suffix dropped.
 */
export function resourceOfScopes(scopes: readonly string[]): string {
  const [scope, ...rest] = scopes;
  if (scope === undefined || rest.length > 0) {
    throw new ConfigError([
      {
        property: 'o365.oauth.scope',
        value: scopes.join(' '),
        expected:
          'exactly one resource scope for managed identity, e.g. https://outlook.office365.com/.default',
      },
    ]);
  }
  return scope.replace(/\/\.default$/, '');
}

function idParams(identity: ManagedIdentityOptions | undefined): ManagedIdentityIdParams {
  if (identity?.clientId !== undefined) return { userAssignedClientId: identity.clientId };
  if (identity?.resourceId !== undefined) return { userAssignedResourceId: identity.resourceId };
  if (identity?.objectId !== undefined) return { userAssignedObjectId: identity.objectId };
  return {};
}

/**
 * `managed_identity`: a token from the Azure host's managed identity endpoint (App Service,
 * Functions, VMs through IMDS, Arc, ...), which MSAL finds from the environment. No secret.
 */
export function managedIdentityFlow(
  settings: MsalAppSettings,
  identity: ManagedIdentityOptions | undefined,
): Flow {
  const app = new ManagedIdentityApplication({
    managedIdentityIdParams: idParams(identity),
    system: { networkClient: settings.networkClient, loggerOptions: msalLoggerOptions(settings.logger) },
  });
  return {
    acquire: (request) =>
      app.acquireToken({
        resource: resourceOfScopes(request.scopes),
        forceRefresh: request.forceRefresh === true,
      }),
  };
}
