/**
 * How to point the real `@azure/msal-node` at the sandbox without it ever calling
 * login.microsoftonline.com: `knownAuthorities` (skips instance discovery), `authorityMetadata`
 * and `cloudDiscoveryMetadata` (skip the OpenID configuration request), and a network client
 * that trusts the sandbox CA (TLS verification stays on).
 */
import { request } from 'node:https';
import { instanceDiscovery, openIdConfiguration } from './identity/discovery.js';

/** MSAL's `NetworkRequestOptions`, structurally. */
export interface SandboxNetworkRequestOptions {
  headers?: Record<string, string>;
  body?: string;
}

/** MSAL's `NetworkResponse`, structurally. */
export interface SandboxNetworkResponse<T> {
  headers: Record<string, string>;
  body: T;
  status: number;
}

/** MSAL's `INetworkModule`, structurally (assignable to `system.networkClient`). */
export interface SandboxNetworkClient {
  sendGetRequestAsync<T>(
    url: string,
    options?: SandboxNetworkRequestOptions,
    timeout?: number,
  ): Promise<SandboxNetworkResponse<T>>;
  sendPostRequestAsync<T>(
    url: string,
    options?: SandboxNetworkRequestOptions,
  ): Promise<SandboxNetworkResponse<T>>;
}

export interface SandboxNetworkClientOptions {
  /** CA certificates to trust, PEM (the sandbox's `ca`). */
  ca: string;
  /** Request timeout, ms. Default 30000. */
  timeoutMs?: number;
}

function send<T>(
  method: 'GET' | 'POST',
  url: string,
  options: SandboxNetworkClientOptions,
  init: SandboxNetworkRequestOptions = {},
  timeout?: number,
): Promise<SandboxNetworkResponse<T>> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        headers: init.headers,
        ca: options.ca,
        agent: false,
        timeout: timeout ?? options.timeoutMs ?? 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(res.headers)) {
            if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
          }
          try {
            resolve({ headers, body: JSON.parse(text) as T, status: res.statusCode ?? 0 });
          } catch {
            reject(
              new Error(
                `[sandbox] ${method} ${url} answered ${res.statusCode} with a body that is not JSON.`,
              ),
            );
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`[sandbox] ${method} ${url} timed out.`)));
    req.on('error', reject);
    req.end(method === 'POST' ? (init.body ?? '') : undefined);
  });
}

/** A network client for MSAL (or anything with MSAL's interface) that trusts `ca`. */
export function createSandboxNetworkClient(options: SandboxNetworkClientOptions): SandboxNetworkClient {
  return {
    sendGetRequestAsync: (url, init, timeout) => send('GET', url, options, init, timeout),
    sendPostRequestAsync: (url, init) => send('POST', url, options, init),
  };
}

/** The parts of a running sandbox `msalConfigFor` needs. */
export interface MsalTarget {
  readonly endpoints: { readonly authority: string };
  readonly ca: string;
  readonly tenant: { readonly id: string };
}

export interface MsalConfigOptions {
  /** Application (client) id; default: the confidential fixture app when using the default directory. */
  clientId: string;
  /** Tenant id (or verified domain); default the sandbox's first tenant. */
  tenant?: string;
  /** Use this network client instead of a fresh CA-trusting one (e.g. a recording wrapper). */
  networkClient?: SandboxNetworkClient;
}

/** An MSAL `Configuration` fragment: spread `auth` into yours and add a credential. */
export interface SandboxMsalConfig {
  auth: {
    clientId: string;
    authority: string;
    knownAuthorities: string[];
    authorityMetadata: string;
    cloudDiscoveryMetadata: string;
  };
  system: { networkClient: SandboxNetworkClient };
}

/**
 * MSAL configuration for a sandbox tenant:
 * `new ConfidentialClientApplication({ ...cfg, auth: { ...cfg.auth, clientSecret } })`.
 * With it MSAL makes no discovery request at all: every request goes to the token endpoint.
 */
export function msalConfigFor(sandbox: MsalTarget, options: MsalConfigOptions): SandboxMsalConfig {
  const base = sandbox.endpoints.authority;
  const tenant = options.tenant ?? sandbox.tenant.id;
  return {
    auth: {
      clientId: options.clientId,
      authority: `${base}/${tenant}`,
      knownAuthorities: [new URL(base).host],
      authorityMetadata: JSON.stringify(openIdConfiguration(base, tenant)),
      cloudDiscoveryMetadata: JSON.stringify(instanceDiscovery(base)),
    },
    system: { networkClient: options.networkClient ?? createSandboxNetworkClient({ ca: sandbox.ca }) },
  };
}
