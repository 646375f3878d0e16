import { trustedSecureContext } from '@kalisto/core';
import { type Dispatcher, EnvHttpProxyAgent } from 'undici';

export interface DispatcherOptions {
  /** Extra CA certificates (PEM) trusted in addition to Node's built-in roots. */
  ca?: string;
  /** Proxy URL for every request; when absent, `HTTPS_PROXY`/`HTTP_PROXY` from the environment. */
  proxy?: string;
  /** Hosts that bypass the proxy (NO_PROXY syntax); when absent, `NO_PROXY` from the environment. */
  noProxy?: string;
  /** Connect, header and body timeouts, ms. */
  timeoutMs: number;
}

/**
 * An undici dispatcher for the identity platform: Node's roots plus the configured CA (never
 * verification off), an explicit or environment proxy honouring NO_PROXY, and bounded timeouts.
 */
export function createDispatcher(options: DispatcherOptions): Dispatcher {
  // One cached context (Node's roots plus the CA) instead of parsing every root per connection.
  const tls =
    options.ca === undefined
      ? {}
      : { secureContext: trustedSecureContext({ ca: options.ca, minVersion: 'TLSv1.2' }) };
  return new EnvHttpProxyAgent({
    ...(options.proxy === undefined ? {} : { httpProxy: options.proxy, httpsProxy: options.proxy }),
    ...(options.noProxy === undefined ? {} : { noProxy: options.noProxy }),
    connect: { ...tls, timeout: options.timeoutMs },
    requestTls: tls,
    proxyTls: tls,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
  });
}
