import { describeReplyBody, matchTransportFailure } from '../token/http-failure.js';
import { TokenError } from './errors.js';
import {
  firstLine,
  type HeadersLike,
  headerValue,
  parseRetryAfter,
  scrubTokenLike,
  stringField,
} from './server-text.js';
import { AADSTS_ERRORS, OAUTH_ERRORS } from './token-error-rules.js';

/** Input of `classifyTokenError`: whatever the token endpoint (or the network) produced. */
export interface TokenErrorInput {
  /** HTTP status of the token endpoint's reply; absent when no reply came (network error). */
  status?: number;
  /** The reply body: text or parsed JSON. Never copied into the message. */
  body?: unknown;
  /** Reply headers (`Retry-After`). */
  headers?: HeadersLike;
  /** The token provider's name, for the message prefix (`[token:msal]`). */
  provider?: string;
  /**
   * The underlying failure: a network error, or an MSAL `ServerError`/`AuthError`, whose `errorCode`,
   * `errorMessage` and `correlationId` are used when there is no body.
   */
  cause?: unknown;
  /** Current time, epoch ms, for a `Retry-After` HTTP date (default `Date.now()`). */
  now?: number;
}

interface OAuthReply {
  error?: string;
  description?: string;
  errorCodes: string[];
  traceId?: string;
  correlationId?: string;
}

const NOT_THE_TOKEN_ENDPOINT =
  'Check that o365.oauth.url (o365.oauth.authority for msal) is the OAuth2 token endpoint (…/oauth2/v2.0/token for Microsoft), and that no proxy or captive portal answers in its place (kalisto.oauth.proxy, HTTPS_PROXY).';

/**
 * A TokenError for a failed token request: the AADSTS number (from `error_codes` or the description's
 * `AADSTSnnnn:` prefix) picks a stable code and fix; RFC 6749 `error` values cover other identity
 * providers; network failures, 5xx, 429 and `temporarily_unavailable` are transient. An untrusted
 * certificate or an oversized reply gets its own code and fix (`TOKEN_TRANSPORT_ERRORS`); a body that
 * is not OAuth2 JSON is named (`an HTML page`, `malformed JSON`), never shown. The message holds the
 * server's description (scrubbed of token-like text), never the request or a secret.
 */
export function classifyTokenError(input: TokenErrorInput): TokenError {
  const prefix = input.provider ? `[token:${input.provider}]` : '[token]';
  const status = input.status ?? statusOf(input.cause);
  // MSAL's own error speaks for the reply only when there is no body (e.g. its `network_error` for HTML).
  const reply =
    readOAuthReply(input.body) ?? (input.body === undefined ? readMsalError(input.cause) : undefined);
  const retryAfterMs = parseRetryAfter(headerValue(input.headers, 'retry-after'), input.now);
  const common = {
    status,
    retryAfterMs,
    provider: input.provider,
    cause: input.cause,
    traceId: reply?.traceId,
    correlationId: reply?.correlationId,
    oauthError: reply?.error,
    description: reply?.description,
  };

  if (reply === undefined && status === undefined) return networkError(prefix, input, common);

  const aadsts = reply?.errorCodes[0] ?? /AADSTS(\d+)/.exec(reply?.description ?? '')?.[1];
  const aadRule = aadsts === undefined ? undefined : AADSTS_ERRORS.find((r) => r.aadsts.includes(aadsts));
  const oauthRule = OAUTH_ERRORS.find((r) => r.error === reply?.error);
  const statusTransient = status !== undefined && (status === 429 || status >= 500);
  // Not an OAuth2 reply at all (a proxy's page, malformed JSON): named, never shown.
  const bodyKind =
    reply === undefined
      ? describeReplyBody(input.body, headerValue(input.headers, 'content-type'))
      : undefined;
  const transient = statusTransient || (aadRule === undefined && oauthRule?.transient === true);

  let code: string;
  let meaning: string;
  let hint: string;
  if (aadRule !== undefined) {
    ({ code, meaning, hint } = aadRule);
  } else if (status === 429) {
    [code, meaning, hint] = [
      'TOKEN_THROTTLED',
      'the identity platform is throttling requests',
      'Retry later.',
    ];
  } else if (oauthRule !== undefined) {
    ({ code, meaning, hint } = oauthRule);
  } else if (statusTransient) {
    code = 'TOKEN_SERVER_ERROR';
    meaning = 'the identity platform failed';
    hint =
      bodyKind === 'an HTML page'
        ? 'Retry later; an HTML page usually comes from a proxy or gateway in between (kalisto.oauth.proxy, HTTPS_PROXY).'
        : 'Retry later.';
  } else if (status !== undefined && status >= 200 && status < 300) {
    code = 'TOKEN_RESPONSE_INVALID';
    meaning = 'the token endpoint answered without an access token';
    hint = NOT_THE_TOKEN_ENDPOINT;
  } else if (bodyKind !== undefined) {
    code = 'TOKEN_REQUEST_FAILED';
    meaning = 'the token request was refused, not in OAuth2 JSON';
    hint = NOT_THE_TOKEN_ENDPOINT;
  } else {
    code = 'TOKEN_REQUEST_FAILED';
    meaning = 'the token request was refused';
    hint = 'Read the server description and check the OAuth settings (o365.oauth.*).';
  }

  const said = [
    aadsts === undefined ? undefined : `AADSTS${aadsts}`,
    reply?.error,
    status && `HTTP ${status}`,
    bodyKind && `reply: ${bodyKind}`,
  ]
    .filter(Boolean)
    .join(', ');
  const serverLine = reply?.description ? ` Server said: ${firstLine(reply.description)}` : '';
  const ids =
    reply?.traceId || reply?.correlationId
      ? ` (trace ${reply.traceId ?? '-'}, correlation ${reply.correlationId ?? '-'})`
      : '';
  return new TokenError(`${prefix} Token request failed: ${meaning} (${said}). ${hint}${serverLine}${ids}`, {
    ...common,
    code,
    hint,
    aadsts,
    transient,
  });
}

function networkError(
  prefix: string,
  input: TokenErrorInput,
  common: Omit<ConstructorParameters<typeof TokenError>[1], 'code'>,
): TokenError {
  const name = (input.cause as { name?: unknown } | undefined)?.name;
  if (name === 'AbortError') {
    const hint = 'The request was cancelled by its caller.';
    return new TokenError(`${prefix} Token request aborted. ${hint}`, {
      ...common,
      code: 'TOKEN_ABORTED',
      hint,
    });
  }
  const transport = matchTransportFailure(input.cause);
  if (transport !== undefined) {
    const { rule, causeCode, limit } = transport;
    const said = limit === undefined ? causeCode : `more than ${limit} bytes, ${causeCode}`;
    return new TokenError(`${prefix} Token request failed: ${rule.meaning} (${said}). ${rule.hint}`, {
      ...common,
      code: rule.code,
      hint: rule.hint,
    });
  }
  const timeout = name === 'TimeoutError';
  const hint = timeout
    ? 'Check the network path to the identity platform, or raise kalisto.oauth.timeout.'
    : 'Check the network path (DNS, proxy, firewall, kalisto.oauth.proxy) to the identity platform.';
  const what = timeout ? 'timed out' : 'could not reach the identity platform';
  const code = timeout ? 'TOKEN_TIMEOUT' : 'TOKEN_NETWORK_ERROR';
  return new TokenError(`${prefix} Token request ${what}${causeSummary(input.cause)}. ${hint}`, {
    ...common,
    code,
    hint,
    transient: true,
  });
}

/** Only a network error's `code` (e.g. `ECONNREFUSED`) is shown: its message may quote a URL with a secret. */
function causeSummary(cause: unknown): string {
  for (let e = cause, depth = 0; typeof e === 'object' && e !== null && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z_]+$/.test(code)) return ` (${code})`;
    e = (e as { cause?: unknown }).cause;
  }
  return '';
}

function readOAuthReply(body: unknown): OAuthReply | undefined {
  let value = body;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  if (typeof record.error !== 'string') return undefined;
  return {
    error: record.error,
    description: stringField(record.error_description, scrubTokenLike),
    errorCodes: Array.isArray(record.error_codes)
      ? record.error_codes.filter((c) => typeof c === 'number' || typeof c === 'string').map(String)
      : [],
    traceId: stringField(record.trace_id),
    correlationId: stringField(record.correlation_id),
  };
}

/** MSAL's ServerError/AuthError carry the reply as `errorCode`, `errorMessage`, `errorNo`, `correlationId`. */
function readMsalError(cause: unknown): OAuthReply | undefined {
  if (typeof cause !== 'object' || cause === null) return undefined;
  const e = cause as Record<string, unknown>;
  if (typeof e.errorCode !== 'string' || typeof e.errorMessage !== 'string') return undefined;
  const errorNo = typeof e.errorNo === 'string' || typeof e.errorNo === 'number' ? [String(e.errorNo)] : [];
  return {
    error: e.errorCode,
    description: scrubTokenLike(e.errorMessage),
    errorCodes: errorNo,
    traceId: stringField(e.traceId),
    correlationId: stringField(e.correlationId),
  };
}

function statusOf(cause: unknown): number | undefined {
  const status =
    typeof cause === 'object' && cause !== null ? (cause as { status?: unknown }).status : undefined;
  return typeof status === 'number' && Number.isInteger(status) ? status : undefined;
}
