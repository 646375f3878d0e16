import { AsyncLocalStorage } from 'node:async_hooks';
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import type { HttpAgent, HttpResponse } from '@kalisto/core/plugin';

/** What the identity platform answered (or why it could not), for classifying a failure. */
export interface HttpFailure {
  status?: number;
  /** The parsed JSON body, or the raw text when it was not JSON. */
  body?: unknown;
  headers?: Record<string, string>;
  /** The transport error (connection refused, TLS, timeout, abort). */
  cause?: unknown;
}

/** One outbound request, as seen by `onRequest` (no body: it may carry a secret). */
export interface OutboundRequest {
  method: 'GET' | 'POST';
  url: string;
}

export interface UndiciNetworkClientOptions {
  /** Core's HTTP agent (`createHttpAgent`): trust, proxy, the deadline and the reply size cap. */
  agent: HttpAgent;
  /** Upper bound for each request, ms (the agent's own deadline is the most it gets). */
  timeoutMs: number;
  /** Sees every request before it is sent (e.g. to prove no request leaves for another host). */
  onRequest?: (request: OutboundRequest) => void;
}

/** One MSAL call being tracked: what aborts its requests, and its last failed response. */
export interface TrackedCall {
  signal?: AbortSignal | undefined;
  /** Set when the call's latest response was a failure (cleared again by a success). */
  failure?: HttpFailure | undefined;
}

/** Thrown to MSAL for 5xx/429 so that it neither parses nor throttles them; never reaches a user. */
class TransientResponseError extends Error {
  constructor(status: number) {
    super(`identity platform answered HTTP ${status}`);
    this.name = 'TransientResponseError';
  }
}

/**
 * MSAL's `system.networkClient` on core's HTTP agent (undici): our CA, proxy, one deadline per
 * request and a bounded reply for every request MSAL makes (token, discovery, managed identity
 * metadata), and a record of the last
 * failed response of each MSAL call, since MSAL's own errors drop the HTTP status, headers and
 * parts of the body. Calls are told apart by async context, because not every MSAL request
 * (managed identity, instance discovery) carries the caller's correlation id.
 *
 * 5xx and 429 responses are thrown instead of returned: MSAL would otherwise remember them as a
 * throttle and fail the retry that the token manager makes without sending it.
 */
export class UndiciNetworkClient implements INetworkModule {
  readonly #options: UndiciNetworkClientOptions;
  readonly #calls = new AsyncLocalStorage<TrackedCall>();

  constructor(options: UndiciNetworkClientOptions) {
    this.#options = options;
  }

  /** Runs one MSAL call so that its requests abort with `call.signal` and report into `call.failure`. */
  track<T>(call: TrackedCall, run: () => Promise<T>): Promise<T> {
    return this.#calls.run(call, run);
  }

  sendGetRequestAsync<T>(
    url: string,
    options?: NetworkRequestOptions,
    timeout?: number,
  ): Promise<NetworkResponse<T>> {
    return this.#send<T>('GET', url, options, timeout);
  }

  sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return this.#send<T>('POST', url, options);
  }

  async #send<T>(
    method: 'GET' | 'POST',
    url: string,
    options: NetworkRequestOptions | undefined,
    timeout?: number,
  ): Promise<NetworkResponse<T>> {
    this.#options.onRequest?.({ method, url });
    const state = this.#calls.getStore();
    let response: HttpResponse;
    try {
      response = await this.#options.agent.request(url, {
        method,
        headers: options?.headers,
        body: method === 'POST' ? (options?.body ?? '') : undefined,
        signal: state?.signal,
        timeoutMs: Math.min(timeout ?? this.#options.timeoutMs, this.#options.timeoutMs),
      });
    } catch (cause) {
      // Transport, deadline, abort or an oversized reply: classified from here (MSAL keeps no cause).
      if (state !== undefined) state.failure = { cause };
      throw cause;
    }
    const { status, headers, text } = response;

    const body = parseBody(text);
    const isJson = typeof body === 'object' && body !== null;
    const ok = status >= 200 && status < 300 && isJson;
    if (state !== undefined) state.failure = ok ? undefined : { status, body, headers };
    if (status === 429 || status >= 500) throw new TransientResponseError(status);
    if (!isJson) throw new Error(`identity platform answered HTTP ${status} with a body that is not JSON`);
    return { status, headers, body: body as T };
  }
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
