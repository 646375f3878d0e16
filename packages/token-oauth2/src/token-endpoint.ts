import { classifyTokenError, TokenError } from '@kalisto/core';
import { type Dispatcher, request } from 'undici';
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
  dispatcher: Dispatcher;
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
 * POSTs one grant to the token endpoint and returns the normalised reply. Every failure is a
 * TokenError from `classifyTokenError` (AADSTS code, RFC 6749 `error`, ids, Retry-After, transient
 * for network errors, 5xx and 429); nothing of the request body appears in it.
 */
export async function requestToken(
  options: TokenEndpointOptions,
  tokenRequest: TokenEndpointRequest,
): Promise<TokenResponse> {
  const { form, headers } = buildTokenRequest(options, tokenRequest);
  const signals = [
    AbortSignal.timeout(options.timeoutMs),
    ...(tokenRequest.signal ? [tokenRequest.signal] : []),
  ];
  options.onRequest?.({ method: 'POST', url: options.url });

  let status: number;
  let responseHeaders: Record<string, string | string[] | undefined>;
  let text: string;
  try {
    const response = await request(options.url, {
      method: 'POST',
      headers,
      body: form.toString(),
      dispatcher: options.dispatcher,
      signal: AbortSignal.any(signals),
    });
    status = response.statusCode;
    responseHeaders = response.headers;
    text = await response.body.text();
  } catch (cause) {
    if (tokenRequest.signal?.aborted) throw tokenRequest.signal.reason;
    throw classifyTokenError({ provider: PROVIDER_NAME, cause });
  }

  const body = parseJson(text);
  if (status < 200 || status >= 300) {
    throw classifyTokenError({ status, body, headers: responseHeaders, provider: PROVIDER_NAME });
  }
  const token = parseTokenResponse(body, tokenRequest.scopes);
  if (token === undefined) {
    throw new TokenError(
      `[token:${PROVIDER_NAME}] The token endpoint answered HTTP ${status} without an access token.`,
      {
        code: 'TOKEN_RESPONSE_INVALID',
        hint: 'Check that o365.oauth.url is the OAuth2 token endpoint (…/oauth2/v2.0/token for Microsoft).',
        status,
        provider: PROVIDER_NAME,
      },
    );
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
