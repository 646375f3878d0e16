/**
 * The one HTTP client of Kalisto's token providers (the identity platform) and of Microsoft Graph:
 * trust, proxy, one deadline per request and a bounded reply, on undici. undici is imported on the first request
 * only: importing it costs ~0.1 s, which every user of core (the CLI's `config`, a mail-only
 * program with its own token provider) would otherwise pay without sending any HTTP.
 */
import type { Dispatcher } from 'undici';
import type { ResolvedConfig } from '../config/types.js';
import { trustedSecureContext } from '../protocol/tls-context.js';
import { DEFAULT_MAX_RESPONSE_BYTES, ResponseTooLargeError, readBoundedBody } from './http-body.js';

/** The largest header section accepted, bytes (Node's own default, stated here). */
export const MAX_RESPONSE_HEADER_BYTES = 16 * 1024;

/** Options of {@link createHttpAgent}. */
export interface HttpAgentOptions {
  /** Extra CA certificates (PEM, `kalisto.tls.ca`) trusted besides Node's roots, never instead of them. */
  ca?: string | undefined;
  /** Proxy URL for every request (`kalisto.oauth.proxy`); absent: `HTTPS_PROXY`/`HTTP_PROXY` from the environment. */
  proxy?: string | undefined;
  /** Hosts that bypass the proxy (NO_PROXY syntax); absent: `NO_PROXY` from the environment. */
  noProxy?: string | undefined;
  /** One deadline per request, ms (`kalisto.oauth.timeout`): connecting, the headers and the whole body. */
  timeoutMs: number;
  /** The largest reply body read, bytes; a larger one aborts the request. Default {@link DEFAULT_MAX_RESPONSE_BYTES}. */
  maxResponseBytes?: number | undefined;
}

/** One request of {@link HttpAgent.request}. */
export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  headers?: Record<string, string> | undefined;
  /** Text (sent as UTF-8) or bytes. */
  body?: string | Uint8Array | undefined;
  /**
   * The largest reply body read for this request, bytes, instead of the agent's
   * `maxResponseBytes` (a message source is larger than a token reply, and still bounded).
   */
  maxResponseBytes?: number | undefined;
  /** Aborts the request (with its reason). */
  signal?: AbortSignal | undefined;
  /** A shorter deadline for this request, ms; the agent's `timeoutMs` is the most it gets. */
  timeoutMs?: number | undefined;
}

/** A whole reply: its body read to the end, within the cap. */
export interface HttpResponse {
  status: number;
  /** Header names in lower case; repeated headers joined with `, `. */
  headers: Record<string, string>;
  /** The body decoded as UTF-8 (decoded when first read). */
  readonly text: string;
  /** The body's bytes, exactly as received. */
  readonly body: Buffer;
}

/** An HTTP client for one token provider; `close()` ends its connections. */
export interface HttpAgent {
  /**
   * Sends one request and reads the reply. Rejects with the transport's error (TLS, refused,
   * `TimeoutError`, the signal's reason) or a `ResponseTooLargeError`: `classifyTokenError` turns
   * each into a TokenError.
   */
  request(url: string, request: HttpRequest): Promise<HttpResponse>;
  close(): Promise<void>;
}

let undici: Promise<typeof import('undici')> | undefined;

/**
 * An HTTP agent for the identity platform: Node's roots plus the configured CA (verification never
 * off, TLS 1.2 at least), an explicit or environment proxy honouring NO_PROXY, one deadline per
 * request covering the body, and replies capped at `maxResponseBytes`.
 */
export function createHttpAgent(options: HttpAgentOptions): HttpAgent {
  // One cached context (Node's roots plus the CA) instead of parsing every root per connection.
  const tls =
    options.ca === undefined
      ? {}
      : { secureContext: trustedSecureContext({ ca: options.ca, minVersion: 'TLSv1.2' }) };
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  let dispatcher: Promise<Dispatcher> | undefined;
  let closing: Promise<void> | undefined;

  const dispatcherOf = (): Promise<Dispatcher> => {
    undici ??= import('undici');
    dispatcher ??= undici.then(
      ({ EnvHttpProxyAgent }) =>
        new EnvHttpProxyAgent({
          ...(options.proxy === undefined ? {} : { httpProxy: options.proxy, httpsProxy: options.proxy }),
          ...(options.noProxy === undefined ? {} : { noProxy: options.noProxy }),
          connect: { ...tls, timeout: options.timeoutMs },
          requestTls: tls,
          proxyTls: tls,
          headersTimeout: options.timeoutMs,
          bodyTimeout: options.timeoutMs,
          maxHeaderSize: MAX_RESPONSE_HEADER_BYTES,
        }),
    );
    return dispatcher;
  };

  return {
    async request(url, request) {
      if (closing !== undefined) throw new Error('The HTTP agent is closed.');
      const caller = request.signal;
      if (caller?.aborted) throw caller.reason;
      // One controller and one timer per request: AbortSignal.any + AbortSignal.timeout cost far more.
      const limit = Math.min(request.timeoutMs ?? options.timeoutMs, options.timeoutMs);
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(timeoutError(limit)), limit);
      const onAbort = () => controller.abort(caller?.reason);
      caller?.addEventListener('abort', onAbort, { once: true });
      try {
        const target = await dispatcherOf();
        const { request: send } = await (undici as Promise<typeof import('undici')>);
        const response = await send(url, {
          method: request.method,
          headers: request.headers,
          body: request.body,
          dispatcher: target,
          signal: controller.signal,
        });
        const cap = request.maxResponseBytes ?? maxResponseBytes;
        const declared = response.headers['content-length'];
        const length = declared === undefined ? undefined : Number(declared);
        if (length !== undefined && length > cap) {
          // Destroying emits an AbortError on the body; unheard, it would end the process.
          response.body.on('error', () => {});
          response.body.destroy();
          throw new ResponseTooLargeError(cap);
        }
        const body = await readBoundedBody(response.body, cap, length);
        let text: string | undefined;
        return {
          status: response.statusCode,
          headers: flattenHeaders(response.headers),
          body,
          get text() {
            text ??= body.toString('utf8');
            return text;
          },
        };
      } finally {
        clearTimeout(timer);
        caller?.removeEventListener('abort', onAbort);
      }
    },
    close() {
      // A dispatcher that never came (undici failed to load) has nothing to close.
      closing ??=
        dispatcher === undefined
          ? Promise.resolve()
          : dispatcher.then(
              (d) => d.close(),
              () => {},
            );
      return closing;
    },
  };
}

/** What `AbortSignal.timeout` aborts with: a `TimeoutError`, which the classifiers recognise. */
function timeoutError(ms: number): DOMException {
  return new DOMException(`The operation was aborted due to timeout (${ms} ms).`, 'TimeoutError');
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

/**
 * The agent a token provider uses for a session: `kalisto.tls.ca`, `kalisto.oauth.proxy` (else the
 * environment's) and `kalisto.oauth.timeout` from `config`; `noProxy` overrides `NO_PROXY`.
 */
export function identityPlatformAgent(config: ResolvedConfig, noProxy?: string): HttpAgent {
  return createHttpAgent({
    ca: config.tlsCa,
    proxy: config.oauth.proxy,
    noProxy,
    timeoutMs: config.oauth.timeoutMs,
  });
}
