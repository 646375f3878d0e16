import { AsyncLocalStorage } from 'node:async_hooks';
import {
  type INetworkModule,
  ManagedIdentityApplication,
  type ManagedIdentityIdParams,
  type NetworkRequestOptions,
  type NetworkResponse,
} from '@azure/msal-node';
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

// MSAL keeps the managed identity source of the process's first ManagedIdentityApplication in a
// static field — with that application's network client. Every application therefore gets this
// router, which hands each request to the network client of the provider whose call is running.
const activeNetworkClient = new AsyncLocalStorage<INetworkModule>();

function currentNetworkClient(): INetworkModule {
  const client = activeNetworkClient.getStore();
  if (client === undefined)
    throw new Error('A managed identity request was made outside a Kalisto token request');
  return client;
}

const routingNetworkClient: INetworkModule = {
  sendGetRequestAsync<T>(
    url: string,
    options?: NetworkRequestOptions,
    timeout?: number,
  ): Promise<NetworkResponse<T>> {
    return currentNetworkClient().sendGetRequestAsync<T>(url, options, timeout);
  },
  sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return currentNetworkClient().sendPostRequestAsync<T>(url, options);
  },
};

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
    system: { networkClient: routingNetworkClient, loggerOptions: msalLoggerOptions(settings.logger) },
  });
  return {
    acquire: (request) => {
      const resource = resourceOfScopes(request.scopes);
      return activeNetworkClient.run(settings.networkClient, () =>
        app.acquireToken({ resource, forceRefresh: request.forceRefresh === true }),
      );
    },
  };
}
