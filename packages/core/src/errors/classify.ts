/**
 * Turns what identity platforms and mail servers say into Kalisto errors with a stable code and a
 * fix in words. The knowledge is data (one table per source, exported for the CLI's doctor and the
 * docs); the functions only match and assemble.
 */

import type { CloudName } from '../config/types.js';
import { MAX_SCRUBBED_TEXT_LENGTH } from '../logging/redactor.js';
import type { SaslErrorChallenge } from '../sasl/sasl.js';
import {
  auditTokenClaims,
  type ClaimsFinding,
  formatClaimsSummary,
  type TokenClaimsSummary,
} from '../token/claims.js';
import { describeReplyBody, matchTransportFailure } from '../token/http-failure.js';
import { AuthenticationError, ConnectionError, TokenError } from './errors.js';

/** One row of the AADSTS table: Microsoft identity platform error numbers with one fix. */
export interface AadstsRule {
  /** The AADSTS numbers this row covers, e.g. `['70011', '1002012']`. */
  aadsts: readonly string[];
  /** Stable Kalisto code, e.g. `TOKEN_INVALID_SCOPE`. */
  code: string;
  /** What happened, in words. */
  meaning: string;
  /** What the user must do. */
  hint: string;
}

/** One row of the OAuth2 (RFC 6749/8628) `error` table, used when there is no AADSTS number. */
export interface OAuthErrorRule {
  error: string;
  code: string;
  meaning: string;
  hint: string;
  transient?: boolean;
}

/** One row of a mail server's error table. */
export interface MailErrorRule {
  /** Stable Kalisto code, e.g. `AUTH_TOKEN_REJECTED`. */
  code: string;
  /**
   * Matches the server text (with the response code in front, when one is given). A named group
   * `retryAfterMs` carries a server-suggested wait.
   */
  pattern: RegExp;
  /** A real server text this row is written for (the sandbox can send it; the doctor can show it). */
  example: string;
  /** `authentication`: the server refused the identity; `connection`: the session or the rate failed. */
  kind: 'authentication' | 'connection';
  meaning: string;
  hint: string;
  /** Worth retrying on a new connection (after `retryAfterMs`, when given). */
  transient: boolean;
  /** The wait before a retry when the server names none (a `retryAfterMs` group in `pattern` wins). */
  retryAfterMs?: number;
  /** How findings from the token's claims combine with `hint`: replace it, or go in front of it. */
  findings?: 'replace' | 'prepend';
}

/** Microsoft identity platform errors (errors.md's token table, plus a few frequent neighbours). */
export const AADSTS_ERRORS: readonly AadstsRule[] = [
  {
    aadsts: ['90002', '900023'],
    code: 'TOKEN_TENANT_NOT_FOUND',
    meaning: 'the tenant was not found',
    hint: 'Check o365.oauth.tenant (the directory id or a verified domain) and o365.cloud.',
  },
  {
    aadsts: ['700016'],
    code: 'TOKEN_APP_NOT_FOUND',
    meaning: 'the application was not found in the directory',
    hint: 'Check o365.oauth.clientId: the app must be registered in (or consented to by) this tenant.',
  },
  {
    aadsts: ['7000215'],
    code: 'TOKEN_INVALID_CLIENT_SECRET',
    meaning: 'the client secret is invalid',
    hint: "Use the secret's Value, not its ID (Secret ID), from App registrations > Certificates & secrets.",
  },
  {
    aadsts: ['7000222'],
    code: 'TOKEN_CLIENT_SECRET_EXPIRED',
    meaning: 'the client secret has expired',
    hint: 'Create a new client secret for the app registration and update the config with its Value.',
  },
  {
    aadsts: ['7000218'],
    code: 'TOKEN_CLIENT_CREDENTIAL_REQUIRED',
    meaning: 'the request needs a client_assertion or client_secret',
    hint: 'Give the client secret (o365.oauth.clientSecret), or enable "Allow public client flows" for a public client.',
  },
  {
    aadsts: ['700025'],
    code: 'TOKEN_PUBLIC_CLIENT_SECRET',
    meaning: 'a public client must not send a client secret',
    hint: 'Remove the client secret from the config, or register the app as a confidential client.',
  },
  {
    aadsts: ['700027'],
    code: 'TOKEN_INVALID_CLIENT_ASSERTION',
    meaning: 'the client assertion (certificate credential) is invalid',
    hint: 'Check that the certificate thumbprint and private key match a certificate uploaded to the app registration.',
  },
  {
    aadsts: ['50126'],
    code: 'TOKEN_INVALID_CREDENTIALS',
    meaning: 'invalid user name or password',
    hint: 'Check o365.user and o365.password (an app password does not work with the password grant).',
  },
  {
    aadsts: ['50034'],
    code: 'TOKEN_USER_NOT_FOUND',
    meaning: 'the user account does not exist in this directory',
    hint: 'Check o365.user and that o365.oauth.tenant is the tenant of this user.',
  },
  {
    aadsts: ['50076', '50079', '50074'],
    code: 'TOKEN_MFA_REQUIRED',
    meaning: 'multi-factor authentication is required',
    hint: 'The password grant cannot do MFA: use device code (delegated) or client credentials (app-only).',
  },
  {
    aadsts: ['53003'],
    code: 'TOKEN_BLOCKED_BY_CONDITIONAL_ACCESS',
    meaning: 'a Conditional Access policy blocked the sign-in',
    hint: 'Ask an administrator to check the sign-in logs and the Conditional Access policies for this app and user.',
  },
  {
    aadsts: ['65001'],
    code: 'TOKEN_CONSENT_REQUIRED',
    meaning: 'consent was not granted for the requested permissions',
    hint: 'An administrator must "Grant admin consent" for the permissions in the app registration (API permissions).',
  },
  {
    aadsts: ['70011', '1002012'],
    code: 'TOKEN_INVALID_SCOPE',
    meaning: 'the scope is invalid',
    hint: 'Client credentials need the scope https://outlook.office365.com/.default; delegated flows https://outlook.office.com/IMAP.AccessAsUser.All (or POP.AccessAsUser.All, SMTP.Send).',
  },
  {
    aadsts: ['700082', '70008', '50173'],
    code: 'TOKEN_REFRESH_EXPIRED',
    meaning: 'the refresh token has expired or was revoked',
    hint: 'Sign in again (device code); tokens unused for 90 days expire, so keep them refreshed.',
  },
  {
    aadsts: ['500011', '50020'],
    code: 'TOKEN_WRONG_TENANT',
    meaning: 'the resource or the user is not in this tenant',
    hint: "Wrong tenant for this mailbox: set o365.oauth.tenant to the mailbox's tenant and check the scope's host.",
  },
];

/** RFC 6749/8628 `error` values, for identity providers without AADSTS numbers. */
export const OAUTH_ERRORS: readonly OAuthErrorRule[] = [
  {
    error: 'invalid_client',
    code: 'TOKEN_INVALID_CLIENT',
    meaning: 'the client authentication failed',
    hint: 'Check the client id and client secret (or certificate).',
  },
  {
    error: 'invalid_grant',
    code: 'TOKEN_INVALID_GRANT',
    meaning: 'the grant (password, refresh token or code) was refused',
    hint: 'Check the user name and password, or sign in again for a new refresh token.',
  },
  {
    error: 'invalid_scope',
    code: 'TOKEN_INVALID_SCOPE',
    meaning: 'the scope is invalid',
    hint: 'Check o365.oauth.scopes against the scopes the identity provider defines.',
  },
  {
    error: 'unauthorized_client',
    code: 'TOKEN_UNAUTHORIZED_CLIENT',
    meaning: 'the client may not use this grant type',
    hint: 'Enable the grant (flow) for this client at the identity provider, or change o365.oauth.flow.',
  },
  {
    error: 'unsupported_grant_type',
    code: 'TOKEN_UNSUPPORTED_GRANT',
    meaning: 'the identity provider does not support this grant type',
    hint: 'Choose a flow the identity provider supports (o365.oauth.flow).',
  },
  {
    error: 'consent_required',
    code: 'TOKEN_CONSENT_REQUIRED',
    meaning: 'consent was not granted',
    hint: 'An administrator must "Grant admin consent" for the permissions.',
  },
  {
    error: 'interaction_required',
    code: 'TOKEN_INTERACTION_REQUIRED',
    meaning: 'the sign-in needs user interaction (MFA, consent or a policy)',
    hint: 'Use the device code flow, or client credentials for unattended access.',
  },
  {
    error: 'access_denied',
    code: 'TOKEN_ACCESS_DENIED',
    meaning: 'the user or an administrator declined the request',
    hint: 'Sign in again and accept the request, or ask an administrator.',
  },
  {
    error: 'expired_token',
    code: 'TOKEN_DEVICE_CODE_EXPIRED',
    meaning: 'the device code expired before the user signed in',
    hint: 'Start the device code sign-in again and finish it within the time shown.',
  },
  {
    error: 'temporarily_unavailable',
    code: 'TOKEN_SERVICE_UNAVAILABLE',
    meaning: 'the identity platform is temporarily unavailable',
    hint: 'Retry later.',
    transient: true,
  },
  {
    error: 'server_error',
    code: 'TOKEN_SERVER_ERROR',
    meaning: 'the identity platform failed',
    hint: 'Retry later.',
    transient: true,
  },
];

/** Exchange Online's IMAP texts (errors.md), then the RFC 5530 codes other servers (Dovecot) use. */
export const IMAP_SERVER_ERRORS: readonly MailErrorRule[] = [
  {
    code: 'AUTH_TOKEN_REJECTED',
    pattern: /AUTHENTICATE failed/i,
    example: 'NO AUTHENTICATE failed.',
    kind: 'authentication',
    meaning: 'the server refused the token',
    hint: "Check the token's aud, scp and roles: request the Exchange scope (https://outlook.office.com/IMAP.AccessAsUser.All delegated, https://outlook.office365.com/.default app-only with IMAP.AccessAsApp).",
    transient: false,
    findings: 'replace',
  },
  {
    code: 'AUTH_MAILBOX_NOT_CONNECTED',
    pattern: /User is authenticated but not connected/i,
    example: 'BAD User is authenticated but not connected.',
    kind: 'authentication',
    meaning: 'the token is valid, but this identity has no access to this mailbox',
    hint: "App-only: register the app's service principal in Exchange (New-ServicePrincipal with the enterprise application's object id) and grant it the mailbox (Add-MailboxPermission -AccessRights FullAccess). Delegated: the token's user is not the mailbox; log in as the token's user or grant Full Access.",
    transient: false,
    findings: 'prepend',
  },
  {
    code: 'AUTH_TOKEN_EXPIRED',
    pattern: /AccessTokenExpired/i,
    example: '* BYE Session invalidated - AccessTokenExpired',
    kind: 'authentication',
    meaning: 'the token expired during the session',
    hint: 'Reconnect with a fresh token (Kalisto does this).',
    transient: true,
  },
  {
    code: 'THROTTLED',
    pattern: /Request is throttled\. Suggested Backoff Time: (?<retryAfterMs>\d+) milliseconds/i,
    example: 'Request is throttled. Suggested Backoff Time: 1500 milliseconds',
    kind: 'connection',
    meaning: 'the server is throttling this client',
    hint: 'Back off for the suggested time, and use fewer parallel connections.',
    transient: true,
  },
  {
    code: 'SESSION_INVALID_STATE',
    pattern: /Command received in Invalid state/i,
    example: 'BAD Command received in Invalid state.',
    kind: 'connection',
    meaning: 'a command was sent after a failed login',
    hint: 'Reconnect and authenticate again.',
    transient: true,
  },
  {
    code: 'AUTH_TOKEN_REJECTED',
    pattern: /\[AUTHENTICATIONFAILED\]|^AUTHENTICATIONFAILED\b/i,
    example: 'NO [AUTHENTICATIONFAILED] Authentication failed.',
    kind: 'authentication',
    meaning: 'the server refused the token',
    hint: "Check the token's audience, scopes and user against what the server expects.",
    transient: false,
    findings: 'replace',
  },
  {
    code: 'SERVER_UNAVAILABLE',
    pattern: /\[UNAVAILABLE\]|^UNAVAILABLE\b/i,
    example: 'NO [UNAVAILABLE] Temporary authentication failure.',
    kind: 'connection',
    meaning: 'the server is temporarily unavailable',
    hint: 'Retry later.',
    transient: true,
  },
];

/** Exchange Online's POP3 texts (errors.md), then the RFC 3206 codes other servers use. */
export const POP3_SERVER_ERRORS: readonly MailErrorRule[] = [
  {
    code: 'AUTH_TOKEN_REJECTED',
    pattern: /Authentication failure: unknown user name or bad password/i,
    example: '-ERR Authentication failure: unknown user name or bad password.',
    kind: 'authentication',
    meaning: 'the server refused the token',
    hint: "Check the token's aud, scp and roles (POP.AccessAsUser.All delegated, POP.AccessAsApp app-only), that POP is enabled for the mailbox, and that AUTH XOAUTH2 and its payload go on two lines.",
    transient: false,
    findings: 'replace',
  },
  {
    code: 'AUTH_TOKEN_REJECTED',
    pattern: /\[AUTH\]/i,
    example: '-ERR [AUTH] Authentication failed.',
    kind: 'authentication',
    meaning: 'the server refused the token',
    hint: "Check the token's audience, scopes and user against what the server expects.",
    transient: false,
    findings: 'replace',
  },
  {
    code: 'AUTH_TOKEN_EXPIRED',
    pattern: /Session invalidated - (?:AccessTokenExpired|TokenRevoked)/i,
    example: '-ERR [SYS/PERM] Session invalidated - AccessTokenExpired',
    kind: 'authentication',
    meaning: 'the token expired or was revoked during the session',
    hint: 'Reconnect with a fresh token (Kalisto does this).',
    transient: true,
  },
  {
    code: 'SERVER_UNAVAILABLE',
    pattern: /\[SYS\/TEMP\]|\[IN-USE\]/i,
    example: '-ERR [SYS/TEMP] Temporary authentication failure.',
    kind: 'connection',
    meaning: 'the server is temporarily unavailable or the mailbox is in use',
    hint: 'Retry later; close other POP3 sessions to this mailbox.',
    transient: true,
  },
];

/** Exchange Online's SMTP texts (errors.md), then RFC 4954's generic replies. */
export const SMTP_SERVER_ERRORS: readonly MailErrorRule[] = [
  {
    code: 'AUTH_SMTP_DISABLED',
    pattern: /5\.7\.139\b.*SmtpClientAuthentication is disabled/is,
    example:
      '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.',
    kind: 'authentication',
    meaning: 'SMTP AUTH is switched off',
    hint: 'Enable SMTP AUTH for the mailbox: Set-CASMailbox -Identity <mailbox> -SmtpClientAuthenticationDisabled $false (and for the tenant: Set-TransportConfig -SmtpClientAuthenticationDisabled $false).',
    transient: false,
  },
  {
    code: 'AUTH_TOKEN_REJECTED',
    pattern: /\b5\.7\.3\b/,
    example: '535 5.7.3 Authentication unsuccessful',
    kind: 'authentication',
    meaning: 'the server refused the token',
    hint: "Check the token's aud, scp and roles: SMTP needs SMTP.Send (delegated, scope https://outlook.office.com/SMTP.Send) or SMTP.SendAsApp (app-only, https://outlook.office365.com/.default).",
    transient: false,
    findings: 'replace',
  },
  {
    code: 'SEND_AS_DENIED',
    pattern: /\b5\.7\.60\b|SendAsDenied/i,
    example: '550 5.7.60 SMTP; Client does not have permissions to send as this sender',
    kind: 'authentication',
    meaning: 'the From address is not the authenticated mailbox',
    hint: "Send as the token's mailbox, or grant Send As on the sender (Add-RecipientPermission -Identity <sender> -Trustee <mailbox> -AccessRights SendAs).",
    transient: false,
  },
  {
    code: 'AUTH_TOKEN_EXPIRED',
    pattern: /Session invalidated - (?:AccessTokenExpired|TokenRevoked)/i,
    example: '421 4.7.0 Session invalidated - AccessTokenExpired',
    kind: 'authentication',
    meaning: 'the token expired or was revoked during the session',
    hint: 'Reconnect with a fresh token (Kalisto does this).',
    transient: true,
  },
  {
    code: 'TOO_MANY_CONNECTIONS',
    pattern: /\b4\.3\.2\b.*(Concurrent connections limit exceeded|sender thread limit exceeded)/is,
    example: '432 4.3.2 Concurrent connections limit exceeded',
    kind: 'connection',
    meaning: 'too many parallel SMTP sessions for this mailbox (about 3)',
    hint: 'Limit the SMTP pool size (about 3 connections per mailbox) and retry later.',
    transient: true,
    // Exchange names no wait; one of the other sessions usually ends within seconds.
    retryAfterMs: 15_000,
  },
  {
    code: 'SUBMISSION_QUOTA_EXCEEDED',
    pattern: /SubmissionQuotaExceededException/i,
    example: '554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException',
    kind: 'connection',
    meaning: 'the mailbox exceeded its sending quota (about 30 messages a minute, 10,000 recipients a day)',
    hint: 'Slow down: send fewer messages a minute and fewer recipients a day; Kalisto does not retry this.',
    transient: false,
  },
  {
    code: 'SMTP_NOT_AUTHENTICATED',
    pattern: /\b5\.7\.57\b/,
    example: '530 5.7.57 Client not authenticated to send mail.',
    kind: 'authentication',
    meaning: 'the message was sent without authenticating',
    hint: 'Authenticate before sending (mail.smtp.auth=true) over STARTTLS on port 587.',
    transient: false,
  },
  {
    code: 'SERVER_UNAVAILABLE',
    pattern: /^454\b/,
    example: '454 4.7.0 Temporary authentication failure',
    kind: 'connection',
    meaning: 'the server could not authenticate now',
    hint: 'Retry later.',
    transient: true,
  },
  {
    code: 'AUTH_TOKEN_REJECTED',
    pattern: /^535\b/,
    example: '535 5.7.8 Error: authentication failed',
    kind: 'authentication',
    meaning: 'the server refused the token',
    hint: "Check the token's audience, scopes and user against what the server expects.",
    transient: false,
    findings: 'replace',
  },
];

/** The mail tables by protocol. */
export const MAIL_SERVER_ERRORS: Readonly<Record<'imap' | 'pop3' | 'smtp', readonly MailErrorRule[]>> = {
  imap: IMAP_SERVER_ERRORS,
  pop3: POP3_SERVER_ERRORS,
  smtp: SMTP_SERVER_ERRORS,
};

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

/** A `Headers` instance or a plain record (any case; Node's `string[]` values allowed). */
export type HeadersLike =
  | { get(name: string): string | null }
  | Readonly<Record<string, string | readonly string[] | undefined>>;

/** Input of `classifyMailError`. */
export interface MailErrorInput {
  protocol: 'imap' | 'imaps' | 'pop3' | 'pop3s' | 'smtp' | 'smtps';
  /** The server's reply, e.g. `NO AUTHENTICATE failed.` or imapflow's `responseText`. */
  serverText: string;
  /** The response code when the client split it off: SMTP `535`, IMAP `AUTHENTICATIONFAILED`. */
  responseCode?: string | number;
  /** The refused token's claims; they turn into findings and a precise hint. */
  claims?: TokenClaimsSummary;
  /** The server's `+` error challenge (`parseSaslErrorChallenge`, imapflow's `oauthError`); its scope goes into the hint. */
  challenge?: SaslErrorChallenge;
  /** The mailbox being opened (for the USER_MISMATCH finding). */
  mailbox?: string;
  /** The configured tenant (for the WRONG_TENANT finding). */
  tenant?: string;
  /** App-only token; inferred from the claims when absent. */
  appOnly?: boolean;
  /** The cloud, to name its Exchange host in fixes (default `global`). */
  cloud?: CloudName;
  /**
   * The text answered the AUTH/AUTHENTICATE command: an unrecognised reply then counts as
   * `AUTH_FAILED` rather than `SERVER_ERROR`.
   */
  duringAuthentication?: boolean;
  /** Current time, epoch ms, for the EXPIRED finding (default `Date.now()`). */
  now?: number;
}

interface OAuthReply {
  error?: string;
  description?: string;
  errorCodes: string[];
  traceId?: string;
  correlationId?: string;
}

/** A run of JWT characters (base64url and dots); each is looked at once, so the work stays linear. */
const JWT_RUN = /[A-Za-z0-9_.-]+/g;
const LONG_OPAQUE = /[A-Za-z0-9+/_-]{64,}={0,2}/g;

/** A run holding `eyJ…` followed by two more dot-separated parts: a JWT, whatever surrounds it. */
function holdsJwt(run: string): boolean {
  const start = run.indexOf('eyJ');
  if (start < 0) return false;
  const firstDot = run.indexOf('.', start);
  return firstDot > 0 && run.indexOf('.', firstDot + 1) > 0;
}

/**
 * Removes anything that could be a token from a server text: JWTs and long base64 runs (e.g. a
 * XOAUTH2 payload echoed back in an error) become `[redacted]`. Text over
 * {@link MAX_SCRUBBED_TEXT_LENGTH} is cut first (a server may send megabytes), so the work is bounded.
 */
export function scrubTokenLike(text: string): string {
  const kept = text.length > MAX_SCRUBBED_TEXT_LENGTH ? `${text.slice(0, MAX_SCRUBBED_TEXT_LENGTH)}…` : text;
  return kept
    .replace(JWT_RUN, (run) => (holdsJwt(run) ? '[redacted]' : run))
    .replace(LONG_OPAQUE, '[redacted]');
}

/**
 * An HTTP `Retry-After` value (delay-seconds or an HTTP date) in ms from `now`; undefined when absent
 * or unreadable. A date in the past gives 0.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  const trimmed = value?.trim();
  if (!trimmed) return undefined;
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  if (!/[a-z]/i.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Looks up a header in a `Headers` instance or a plain record, case-insensitively. */
export function headerValue(headers: HeadersLike | undefined, name: string): string | undefined {
  if (headers === undefined) return undefined;
  if (typeof headers.get === 'function') return headers.get(name) ?? undefined;
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(headers as Record<string, unknown>)) {
    if (key.toLowerCase() !== lower) continue;
    if (typeof value === 'string') return value;
    if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  }
  return undefined;
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

/**
 * An AuthenticationError (the server refused the identity) or a ConnectionError (session, throttling,
 * quota) for a mail server's reply, with a stable code and a fix; the hint of a token refusal is built
 * from the token's claims when they are given. The server text is kept, scrubbed of token-like text.
 */
export function classifyMailError(input: MailErrorInput): AuthenticationError | ConnectionError {
  const protocol = input.protocol.replace(/s$/, '') as 'imap' | 'pop3' | 'smtp';
  const serverText = scrubTokenLike(input.serverText.trim());
  const subject = [input.responseCode, serverText].filter((p) => p !== undefined && p !== '').join(' ');
  const rule =
    MAIL_SERVER_ERRORS[protocol].find((r) => r.pattern.test(subject)) ??
    fallbackRule(protocol, input, subject);
  const match = rule.pattern.exec(subject);
  const suggested = match?.groups?.retryAfterMs;
  const retryAfterMs = suggested === undefined ? rule.retryAfterMs : Number(suggested);

  const findings: ClaimsFinding[] =
    input.claims === undefined || rule.kind !== 'authentication'
      ? []
      : auditTokenClaims(input.claims, {
          protocol,
          mailbox: input.mailbox,
          tenant: input.tenant,
          appOnly: input.appOnly,
          cloud: input.cloud,
          now: input.now ?? Date.now(),
        });
  const findingsText = findings.map((f) => f.message).join(' ');
  let hint = rule.hint;
  if (findings.length > 0 && rule.findings === 'replace') hint = findingsText;
  if (findings.length > 0 && rule.findings === 'prepend') hint = `${findingsText} ${rule.hint}`;
  if (rule.kind === 'authentication' && input.challenge?.scope) {
    hint = `${hint} The server asks for a token with the scope ${input.challenge.scope}.`;
  }

  const token = input.claims === undefined ? '' : ` Token: ${formatClaimsSummary(input.claims)}.`;
  const message = `[${protocol}] ${capitalise(rule.meaning)} (server: ${JSON.stringify(serverText)}).${rule.kind === 'authentication' ? token : ''} ${hint}`;
  if (rule.kind === 'connection') {
    return new ConnectionError(message, {
      code: rule.code,
      hint,
      protocol,
      transient: rule.transient,
      retryAfterMs,
    });
  }
  return new AuthenticationError(message, {
    code: rule.code,
    hint,
    protocol,
    serverText,
    claims: input.claims,
    findings,
    transient: rule.transient,
    retryAfterMs,
  });
}

function fallbackRule(
  protocol: 'imap' | 'pop3' | 'smtp',
  input: MailErrorInput,
  subject: string,
): MailErrorRule {
  const base = { pattern: /(?:)/, example: '' };
  if (input.duringAuthentication) {
    return {
      ...base,
      code: 'AUTH_FAILED',
      kind: 'authentication',
      meaning: 'the server refused the authentication',
      hint: "Read the server text; check the token's audience, permissions and user.",
      transient: false,
      findings: 'replace',
    };
  }
  const temporary = protocol === 'smtp' && /^4\d\d\b/.test(subject);
  return {
    ...base,
    code: 'SERVER_ERROR',
    kind: 'connection',
    meaning: 'the server reported an error',
    hint: temporary ? 'Retry later.' : 'Read the server text.',
    transient: temporary,
  };
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

function stringField(value: unknown, transform: (s: string) => string = (s) => s): string | undefined {
  return typeof value === 'string' && value !== '' ? transform(value) : undefined;
}

function firstLine(text: string): string {
  return text.split(/\r?\n/, 1)[0] ?? '';
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
