/**
 * Microsoft identity platform errors as the token endpoint sends them: the OAuth2 `error`, the
 * AADSTS number, the HTTP status and Microsoft's description text, in Microsoft's JSON shape.
 */
import { randomUUID } from 'node:crypto';

interface AadstsDefinition {
  error: string;
  status: number;
  suberror?: string;
  /** Message after `AADSTSnnnn: `; `{0}`, `{1}` … are filled from the arguments. */
  text: string;
}

/** Every AADSTS code the sandbox produces. */
export const AADSTS = {
  50020: {
    error: 'invalid_grant',
    status: 400,
    text: "User account '{0}' from identity provider 'https://sts.windows.net/{1}/' does not exist in tenant '{2}' and cannot access the application '{3}' in that tenant.",
  },
  50011: {
    error: 'invalid_request',
    status: 400,
    text: "The redirect URI '{0}' specified in the request does not match the redirect URIs configured for the application '{1}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal.",
  },
  50034: {
    error: 'invalid_grant',
    status: 400,
    text: 'The user account {0} does not exist in the {1} directory. To sign into this application, the account must be added to the directory.',
  },
  50076: {
    error: 'invalid_grant',
    status: 400,
    suberror: 'basic_action',
    text: "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '{0}'.",
  },
  50148: {
    error: 'invalid_grant',
    status: 400,
    text: 'The code_verifier does not match the code_challenge supplied in the authorization request for PKCE.',
  },
  50126: {
    error: 'invalid_grant',
    status: 400,
    text: 'Error validating credentials due to invalid username or password.',
  },
  50173: {
    error: 'invalid_grant',
    status: 400,
    suberror: 'bad_token',
    text: "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '{0}' and the TokensValidFrom date (before which tokens are not valid) for this user is '{1}'.",
  },
  65001: {
    error: 'invalid_grant',
    status: 400,
    suberror: 'consent_required',
    text: "The user or administrator has not consented to use the application with ID '{0}' named '{1}'. Send an interactive authorization request for this user and resource.",
  },
  54005: {
    error: 'invalid_grant',
    status: 400,
    text: 'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.',
  },
  65004: {
    error: 'access_denied',
    status: 400,
    text: 'User declined to consent to access the app.',
  },
  70000: { error: 'invalid_grant', status: 400, text: 'Provided grant is invalid or malformed.' },
  70003: {
    error: 'unsupported_grant_type',
    status: 400,
    text: "The app requested an unsupported grant type '{0}'.",
  },
  70011: {
    error: 'invalid_scope',
    status: 400,
    text: "The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope {0} is not valid.",
  },
  70008: {
    error: 'invalid_grant',
    status: 400,
    text: 'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.',
  },
  70016: {
    error: 'authorization_pending',
    status: 400,
    text: 'OAuth 2.0 device flow error. Authorization is pending. Continue polling.',
  },
  70019: { error: 'expired_token', status: 400, text: 'Verification code expired.' },
  70020: {
    error: 'authorization_declined',
    status: 400,
    text: 'The user declined the authorization request.',
  },
  90002: {
    error: 'invalid_request',
    status: 400,
    text: "Tenant '{0}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.",
  },
  90033: {
    error: 'temporarily_unavailable',
    status: 503,
    text: 'A transient error has occurred. Please try again.',
  },
  90055: {
    error: 'temporarily_unavailable',
    status: 429,
    text: 'TenantThrottlingThreshold: The request was throttled because the tenant sent too many requests.',
  },
  500011: {
    error: 'invalid_resource',
    status: 400,
    text: 'The resource principal named {0} was not found in the tenant named {1}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.',
  },
  700016: {
    error: 'unauthorized_client',
    status: 400,
    text: "Application with identifier '{0}' was not found in the directory '{1}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
  },
  700024: {
    error: 'invalid_client',
    status: 401,
    text: 'Client assertion is not within its valid time range.',
  },
  700025: {
    error: 'invalid_client',
    status: 401,
    text: "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.",
  },
  700027: {
    error: 'invalid_client',
    status: 401,
    text: "Client assertion failed signature validation. (Reason - {0}) The key used to sign the assertion is not registered on application '{1}'.",
  },
  700082: {
    error: 'invalid_grant',
    status: 400,
    suberror: 'bad_token',
    text: 'The refresh token has expired due to inactivity. The token was issued on {0} and was inactive for {1}.',
  },
  900144: {
    error: 'invalid_request',
    status: 400,
    text: "The request body must contain the following parameter: '{0}'.",
  },
  1002012: {
    error: 'invalid_scope',
    status: 400,
    text: 'The provided value for scope {0} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).',
  },
  7000215: {
    error: 'invalid_client',
    status: 401,
    text: "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{0}'.",
  },
  7000218: {
    error: 'invalid_client',
    status: 401,
    text: "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
  },
  7000222: {
    error: 'invalid_client',
    status: 401,
    text: "The provided client secret keys for app '{0}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.",
  },
} as const satisfies Record<number, AadstsDefinition>;

export type AadstsCode = keyof typeof AADSTS;

/** A token-endpoint failure, thrown inside the identity server and rendered by `aadstsBody`. */
export class AadstsError extends Error {
  readonly code: AadstsCode;
  readonly args: readonly string[];
  /** Extra response headers (Retry-After). */
  readonly headers: Record<string, string>;
  /** HTTP status: the catalogue's, unless overridden (injected 500/502 faults). */
  readonly status: number;

  constructor(
    code: AadstsCode,
    args: readonly string[] = [],
    options: { headers?: Record<string, string>; status?: number } = {},
  ) {
    super(`AADSTS${code}`);
    this.name = 'AadstsError';
    this.code = code;
    this.args = args;
    this.headers = options.headers ?? {};
    this.status = options.status ?? AADSTS[code].status;
  }
}

/** `2026-11-29 05:33:56Z`, the timestamp format of Microsoft's error bodies. */
export function aadTimestamp(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** Microsoft's error JSON, field for field. */
export interface AadstsBody {
  error: string;
  error_description: string;
  error_codes: number[];
  timestamp: string;
  trace_id: string;
  correlation_id: string;
  error_uri: string;
  suberror?: string;
}

/** Microsoft's error JSON for `error`, echoing the client's `client-request-id` as correlation id. */
export function aadstsBody(error: AadstsError, now: Date, correlationId: string = randomUUID()): AadstsBody {
  const def: AadstsDefinition = AADSTS[error.code];
  const text = def.text.replace(/\{(\d+)\}/g, (_, i: string) => error.args[Number(i)] ?? '');
  const timestamp = aadTimestamp(now);
  const traceId = randomUUID();
  const body: AadstsBody = {
    error: def.error,
    error_description: `AADSTS${error.code}: ${text}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
    error_codes: [error.code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${error.code}`,
  };
  if (def.suberror) body.suberror = def.suberror;
  return body;
}
