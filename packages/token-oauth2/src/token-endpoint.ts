import { classifyTokenError, type HttpAgent, type HttpResponse } from '@kalisto/core/plugin';
import { parseTokenResponse, type TokenResponse } from './token-response.js';

/** How the client authenticates (RFC 6749 §2.3.1). */
export type ClientAuthMethod = 'body' | 'basic';

/** The provider name every error carries. */
export const PROVIDER_NAME = 'oauth2';

export interface TokenEndpointOptions {
  url: string;
  clientId: string;
  /** Absent for a public client: then only `client_id` is sent. */
  clientSecret?: string | undefined;
  clientAuth: ClientAuthMethod;
  /** Core's HTTP agent (`createHttpAgent`): trust, proxy, the deadline and the reply size cap. */
  agent: HttpAgent;
  /** Upper bound for the request, body included, ms (the agent's own deadline is the most it gets). */
  timeoutMs: number;
  /** Sees every request (method and URL only: the body carries secrets). */
  onRequest?: ((request: { method: 'POST'; url: string }) => void) | undefined;
}

export interface TokenEndpointRequest {
  /** The grant's own parameters, e.g. `{ grant_type: 'password', username, password }`. */
  grant: Readonly<Record<string, string>>;
  scopes: readonly string[];
  signal?: AbortSignal | undefined;
}

/** `application/x-www-form-urlencoded` of one value, as RFC 6749 §2.3.1 asks for HTTP Basic. */
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

/** The request's form fields and headers for the chosen client authentication. */
export function buildTokenRequest(
  options: Pick<TokenEndpointOptions, 'clientId' | 'clientSecret' | 'clientAuth'>,
  request: Pick<TokenEndpointRequest, 'grant' | 'scopes'>,
): { form: URLSearchParams; headers: Record<string, string> } {
  const form = new URLSearchParams(request.grant);
  if (request.scopes.length > 0) form.set('scope', request.scopes.join(' '));
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if (options.clientSecret !== undefined && options.clientAuth === 'basic') {
    const credentials = `${formEncode(options.clientId)}:${formEncode(options.clientSecret)}`;
    headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
  } else {
    form.set('client_id', options.clientId);
    if (options.clientSecret !== undefined) form.set('client_secret', options.clientSecret);
  }
  return { form, headers };
}

/**
 * POSTs one grant to the token endpoint and returns the normalised reply (read within the agent's
 * size cap and deadline). Every failure is a TokenError from `classifyTokenError` (AADSTS code,
 * RFC 6749 `error`, ids, Retry-After, transient for network errors, 5xx and 429; an untrusted
 * certificate, an oversized reply or a body that is not JSON named as such); nothing of the request
 * body or of a non-JSON reply appears in it.
 */
export async function requestToken(
  options: TokenEndpointOptions,
  tokenRequest: TokenEndpointRequest,
): Promise<TokenResponse> {
  const { form, headers } = buildTokenRequest(options, tokenRequest);
  options.onRequest?.({ method: 'POST', url: options.url });

  let response: HttpResponse;
  try {
    response = await options.agent.request(options.url, {
      method: 'POST',
      headers,
      body: form.toString(),
      signal: tokenRequest.signal,
      timeoutMs: options.timeoutMs,
    });
  } catch (cause) {
    if (tokenRequest.signal?.aborted) throw tokenRequest.signal.reason;
    throw classifyTokenError({ provider: PROVIDER_NAME, cause });
  }

  const { status } = response;
  const body = parseJson(response.text);
  const token = status >= 200 && status < 300 ? parseTokenResponse(body, tokenRequest.scopes) : undefined;
  // A refusal, a 2xx without a token, or no JSON at all (a proxy's page): the classifier names which.
  if (token === undefined) {
    throw classifyTokenError({ status, body, headers: response.headers, provider: PROVIDER_NAME });
  }
  return token;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
