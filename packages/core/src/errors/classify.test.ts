import { describe, expect, it } from 'vitest';
import { xoauth2InitialResponse } from '../sasl/sasl.js';
import type { TokenClaimsSummary } from '../token/claims.js';
import { ResponseTooLargeError } from '../token/http-body.js';
import {
  AADSTS_ERRORS,
  classifyMailError,
  classifyTokenError,
  headerValue,
  IMAP_SERVER_ERRORS,
  MAIL_SERVER_ERRORS,
  parseRetryAfter,
  scrubTokenLike,
} from './classify.js';
import { AuthenticationError, ConnectionError, type KalistoError, TokenError } from './errors.js';

// Fixture secrets: none of them may appear in any error this module produces.
const ACCESS_TOKEN =
  'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL291dGxvb2sub2ZmaWNlLmNvbSIsInNjcCI6IklNQVAifQ.c2lnbmF0dXJlLW9mLXRoZS1hY2Nlc3MtdG9rZW4';
const CLIENT_SECRET = 'Qx8Q~fixture.client-secret_Value0123456789';
const PASSWORD = 'fixture-Pa55word!';
const XOAUTH2_PAYLOAD = xoauth2InitialResponse({
  user: 'someone@contoso.example',
  accessToken: ACCESS_TOKEN,
});
const SECRETS = [ACCESS_TOKEN, CLIENT_SECRET, PASSWORD, XOAUTH2_PAYLOAD];

const TRACE = '0b3bfbb1-6a2f-4e1b-9a4b-2f3c1b3f9e00';
const CORRELATION = '5c1c1f9b-8d0d-4a43-9a57-7a2d0e3f1b11';
const NOW = Date.UTC(2026, 10, 29, 6, 0, 0);

/** A reply of Microsoft's token endpoint, as it sends it. */
function microsoftReply(aadsts: number, error: string, text: string) {
  return {
    error,
    error_description: `AADSTS${aadsts}: ${text}\r\nTrace ID: ${TRACE}\r\nCorrelation ID: ${CORRELATION}\r\nTimestamp: 2026-11-29 06:00:00Z`,
    error_codes: [aadsts],
    timestamp: '2026-11-29 06:00:00Z',
    trace_id: TRACE,
    correlation_id: CORRELATION,
  };
}

// errors.md, "Token endpoint": every AADSTS code, the code we give it, and words its fix must contain.
const TOKEN_TABLE: ReadonlyArray<[number, string, string, string]> = [
  [90002, 'invalid_request', 'TOKEN_TENANT_NOT_FOUND', 'o365.oauth.tenant'],
  [700016, 'unauthorized_client', 'TOKEN_APP_NOT_FOUND', 'o365.oauth.clientId'],
  [7000215, 'invalid_client', 'TOKEN_INVALID_CLIENT_SECRET', "use the secret's Value, not its ID"],
  [7000222, 'invalid_client', 'TOKEN_CLIENT_SECRET_EXPIRED', 'create a new client secret'],
  [7000218, 'invalid_client', 'TOKEN_CLIENT_CREDENTIAL_REQUIRED', 'Allow public client flows'],
  [700025, 'invalid_client', 'TOKEN_PUBLIC_CLIENT_SECRET', 'register the app as a confidential client'],
  [
    50126,
    'invalid_grant',
    'TOKEN_INVALID_CREDENTIALS',
    'an app password does not work with the password grant',
  ],
  [50076, 'invalid_grant', 'TOKEN_MFA_REQUIRED', 'the password grant cannot do MFA: use device code'],
  [65001, 'invalid_grant', 'TOKEN_CONSENT_REQUIRED', 'Grant admin consent'],
  [70011, 'invalid_scope', 'TOKEN_INVALID_SCOPE', 'https://outlook.office365.com/.default'],
  [1002012, 'invalid_scope', 'TOKEN_INVALID_SCOPE', 'https://outlook.office365.com/.default'],
  [700082, 'invalid_grant', 'TOKEN_REFRESH_EXPIRED', 'sign in again'],
  [500011, 'invalid_resource', 'TOKEN_WRONG_TENANT', 'wrong tenant for this mailbox'],
  [50020, 'invalid_grant', 'TOKEN_WRONG_TENANT', 'wrong tenant for this mailbox'],
];

// errors.md, "IMAP", "POP3" and "SMTP": the server texts verbatim, the code, and words the fix must contain.
type MailRow = [protocol: 'imap' | 'pop3' | 'smtp', text: string, code: string, fix: string];
const MAIL_TABLE: readonly MailRow[] = [
  ['imap', 'NO AUTHENTICATE failed.', 'AUTH_TOKEN_REJECTED', 'request the Exchange scope'],
  [
    'imap',
    'BAD User is authenticated but not connected.',
    'AUTH_MAILBOX_NOT_CONNECTED',
    'New-ServicePrincipal',
  ],
  [
    'imap',
    '* BYE Session invalidated - AccessTokenExpired',
    'AUTH_TOKEN_EXPIRED',
    'Reconnect with a fresh token',
  ],
  ['imap', 'Request is throttled. Suggested Backoff Time: 2500 milliseconds', 'THROTTLED', 'Back off'],
  ['imap', 'BAD Command received in Invalid state.', 'SESSION_INVALID_STATE', 'Reconnect'],
  [
    'pop3',
    '-ERR Authentication failure: unknown user name or bad password.',
    'AUTH_TOKEN_REJECTED',
    'POP.AccessAsApp',
  ],
  [
    'pop3',
    '-ERR [SYS/PERM] Session invalidated - AccessTokenExpired',
    'AUTH_TOKEN_EXPIRED',
    'Reconnect with a fresh token',
  ],
  [
    'pop3',
    '-ERR [SYS/PERM] Session invalidated - TokenRevoked',
    'AUTH_TOKEN_EXPIRED',
    'Reconnect with a fresh token',
  ],
  ['smtp', '535 5.7.3 Authentication unsuccessful', 'AUTH_TOKEN_REJECTED', 'SMTP.SendAsApp'],
  [
    'smtp',
    '421 4.7.0 Session invalidated - AccessTokenExpired',
    'AUTH_TOKEN_EXPIRED',
    'Reconnect with a fresh token',
  ],
  [
    'smtp',
    '421 4.7.0 Session invalidated - TokenRevoked',
    'AUTH_TOKEN_EXPIRED',
    'Reconnect with a fresh token',
  ],
  [
    'smtp',
    '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.',
    'AUTH_SMTP_DISABLED',
    'Set-CASMailbox -Identity <mailbox> -SmtpClientAuthenticationDisabled $false',
  ],
  [
    'smtp',
    '550 5.7.60 SMTP; Client does not have permissions to send as this sender',
    'SEND_AS_DENIED',
    'Add-RecipientPermission',
  ],
  ['smtp', '554 5.2.252 SendAsDenied', 'SEND_AS_DENIED', "send as the token's mailbox"],
  [
    'smtp',
    '432 4.3.2 Concurrent connections limit exceeded',
    'TOO_MANY_CONNECTIONS',
    'limit the SMTP pool size',
  ],
  [
    'smtp',
    '4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded',
    'TOO_MANY_CONNECTIONS',
    'limit the SMTP pool size',
  ],
  [
    'smtp',
    '554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException',
    'SUBMISSION_QUOTA_EXCEEDED',
    'Slow down',
  ],
];
const TRANSIENT_MAIL_CODES = new Set([
  'AUTH_TOKEN_EXPIRED',
  'THROTTLED',
  'SESSION_INVALID_STATE',
  'TOO_MANY_CONNECTIONS',
]);
const CONNECTION_MAIL_CODES = new Set([
  'THROTTLED',
  'SESSION_INVALID_STATE',
  'TOO_MANY_CONNECTIONS',
  'SUBMISSION_QUOTA_EXCEEDED',
]);

const graphToken: TokenClaimsSummary = {
  aud: 'https://graph.microsoft.com',
  tid: '11111111-2222-3333-4444-555555555555',
  user: 'someone@contoso.example',
  scp: ['Mail.Read'],
  roles: [],
  expiresAt: NOW + 3_600_000,
};

describe('classifyTokenError: Microsoft identity platform', () => {
  it.each(TOKEN_TABLE)('AADSTS%i (%s) → %s', (aadsts, error, code, fix) => {
    const result = classifyTokenError({
      status: 400,
      body: JSON.stringify(microsoftReply(aadsts, error, 'Server text.')),
      provider: 'msal',
    });
    expect(result).toBeInstanceOf(TokenError);
    expect(result).toMatchObject({
      code,
      aadsts: String(aadsts),
      oauthError: error,
      traceId: TRACE,
      correlationId: CORRELATION,
      status: 400,
      transient: false,
      provider: 'msal',
    });
    expect(result.hint?.toLowerCase()).toContain(fix.toLowerCase());
    expect(result.message).toMatch(/^\[token:msal\] Token request failed: /);
    expect(result.message).toContain(`AADSTS${aadsts}: Server text.`);
    expect(result.message).toContain(TRACE);
    expect(result.message).not.toContain('Timestamp:');
  });

  it.each([
    [900023, 'TOKEN_TENANT_NOT_FOUND'],
    [700027, 'TOKEN_INVALID_CLIENT_ASSERTION'],
    [50034, 'TOKEN_USER_NOT_FOUND'],
    [50079, 'TOKEN_MFA_REQUIRED'],
    [50074, 'TOKEN_MFA_REQUIRED'],
    [53003, 'TOKEN_BLOCKED_BY_CONDITIONAL_ACCESS'],
    [70008, 'TOKEN_REFRESH_EXPIRED'],
    [50173, 'TOKEN_REFRESH_EXPIRED'],
  ])('also knows AADSTS%i (beyond errors.md) → %s', (aadsts, code) => {
    expect(classifyTokenError({ status: 400, body: microsoftReply(aadsts, 'invalid_grant', 'x') }).code).toBe(
      code,
    );
  });

  it('gives every number of the exported table its own row (no row shadows another)', () => {
    for (const rule of AADSTS_ERRORS) {
      for (const aadsts of rule.aadsts) {
        const result = classifyTokenError({
          status: 400,
          body: microsoftReply(Number(aadsts), 'invalid_grant', 'x'),
        });
        expect(result).toMatchObject({ code: rule.code, hint: rule.hint });
      }
    }
  });

  it('takes the AADSTS number from the description when error_codes is missing, and accepts parsed JSON', () => {
    const { error_codes: _, ...reply } = microsoftReply(
      7000215,
      'invalid_client',
      'Invalid client secret provided.',
    );
    const result = classifyTokenError({ status: 401, body: reply });
    expect(result).toMatchObject({ code: 'TOKEN_INVALID_CLIENT_SECRET', aadsts: '7000215' });
    expect(result.message).toMatch(/^\[token\] /);
  });

  it("reads MSAL's ServerError when there is no body", () => {
    const serverError = Object.assign(
      new Error('invalid_client: AADSTS7000215: Invalid client secret provided.'),
      {
        errorCode: 'invalid_client',
        errorMessage: 'AADSTS7000215: Invalid client secret provided.',
        correlationId: CORRELATION,
        status: 401,
      },
    );
    const result = classifyTokenError({ cause: serverError, provider: 'msal' });
    expect(result).toMatchObject({
      code: 'TOKEN_INVALID_CLIENT_SECRET',
      status: 401,
      correlationId: CORRELATION,
      cause: serverError,
    });
  });

  it('scrubs anything JWT-like from the description', () => {
    const reply = microsoftReply(50000, 'invalid_request', `The token ${ACCESS_TOKEN} is bad.`);
    const result = classifyTokenError({ status: 400, body: reply });
    expect(result.message).toContain('The token [redacted] is bad.');
    expect(result.description).toContain('[redacted]');
    expect(result.code).toBe('TOKEN_REQUEST_FAILED');
  });
});

describe('classifyTokenError: other identity providers and transient failures', () => {
  it.each([
    ['invalid_client', 'TOKEN_INVALID_CLIENT'],
    ['invalid_grant', 'TOKEN_INVALID_GRANT'],
    ['invalid_scope', 'TOKEN_INVALID_SCOPE'],
    ['unauthorized_client', 'TOKEN_UNAUTHORIZED_CLIENT'],
    ['expired_token', 'TOKEN_DEVICE_CODE_EXPIRED'],
  ])('maps the RFC 6749 error %s to %s', (error, code) => {
    const result = classifyTokenError({ status: 400, body: { error, error_description: 'Nope.' } });
    expect(result).toMatchObject({ code, oauthError: error, aadsts: undefined, transient: false });
    expect(result.message).toContain('Server said: Nope.');
  });

  it('marks temporarily_unavailable, 5xx and 429 transient, with Retry-After', () => {
    expect(classifyTokenError({ status: 400, body: '{"error":"temporarily_unavailable"}' })).toMatchObject({
      code: 'TOKEN_SERVICE_UNAVAILABLE',
      transient: true,
    });
    expect(classifyTokenError({ status: 503, body: '<html>Service Unavailable</html>' })).toMatchObject({
      code: 'TOKEN_SERVER_ERROR',
      transient: true,
    });
    const throttled = classifyTokenError({
      status: 429,
      body: { error: 'invalid_request', error_description: 'Too many requests.' },
      headers: new Headers({ 'Retry-After': '7' }),
    });
    expect(throttled).toMatchObject({ code: 'TOKEN_THROTTLED', transient: true, retryAfterMs: 7000 });
    const dated = classifyTokenError({
      status: 503,
      headers: { 'retry-after': new Date(NOW + 30_000).toUTCString() },
      now: NOW,
    });
    expect(dated.retryAfterMs).toBe(30_000);
  });

  it('classifies network failures by the cause, showing only its code', () => {
    const refused = new TypeError('fetch failed', {
      cause: Object.assign(new Error(`connect ECONNREFUSED https://idp/?client_secret=${CLIENT_SECRET}`), {
        code: 'ECONNREFUSED',
      }),
    });
    const network = classifyTokenError({ cause: refused, provider: 'oauth2' });
    expect(network).toMatchObject({ code: 'TOKEN_NETWORK_ERROR', transient: true, status: undefined });
    expect(network.message).toContain('(ECONNREFUSED)');
    expect(network.message).not.toContain(CLIENT_SECRET);

    const timeout = classifyTokenError({
      cause: new DOMException('The operation timed out.', 'TimeoutError'),
    });
    expect(timeout).toMatchObject({ code: 'TOKEN_TIMEOUT', transient: true });

    const aborted = classifyTokenError({
      cause: new DOMException('This operation was aborted', 'AbortError'),
    });
    expect(aborted).toMatchObject({ code: 'TOKEN_ABORTED', transient: false });
  });

  it('falls back to TOKEN_REQUEST_FAILED for an unknown refusal', () => {
    expect(classifyTokenError({ status: 400, body: 'Bad Request' })).toMatchObject({
      code: 'TOKEN_REQUEST_FAILED',
      transient: false,
    });
  });
});

describe('classifyTokenError: transport failures and replies that are not OAuth2 JSON', () => {
  const PAGE = '<!DOCTYPE html><html><body>502 Bad Gateway PAGE-CONTENT</body></html>';

  it('names an untrusted certificate and points at kalisto.tls.ca, not at DNS or the proxy setting', () => {
    for (const code of [
      'SELF_SIGNED_CERT_IN_CHAIN',
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    ]) {
      const cause = new TypeError('fetch failed', {
        cause: Object.assign(new Error('certificate'), { code }),
      });
      const error = classifyTokenError({ cause, provider: 'msal' });
      expect(error).toMatchObject({ code: 'TOKEN_TLS_UNTRUSTED', transient: false, provider: 'msal' });
      expect(error.message).toContain(`certificate is not trusted (${code})`);
      expect(error.hint).toContain('kalisto.tls.ca');
      expect(error.hint).not.toMatch(/DNS|kalisto\.oauth\.proxy/);
    }
    const expired = Object.assign(new Error('certificate has expired'), { code: 'CERT_HAS_EXPIRED' });
    expect(classifyTokenError({ cause: expired })).toMatchObject({ code: 'TOKEN_TLS_CERT_EXPIRED' });
    const altname = Object.assign(new Error('altnames'), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    expect(classifyTokenError({ cause: altname })).toMatchObject({ code: 'TOKEN_TLS_HOSTNAME_MISMATCH' });
  });

  it('names an oversized reply (body cap or endless headers) with the limit, not transient', () => {
    const body = classifyTokenError({ cause: new ResponseTooLargeError(262_144), provider: 'oauth2' });
    expect(body).toMatchObject({ code: 'TOKEN_RESPONSE_TOO_LARGE', transient: false });
    expect(body.message).toContain('more than 262144 bytes');
    const headers = Object.assign(new Error('Headers Overflow Error'), { code: 'UND_ERR_HEADERS_OVERFLOW' });
    expect(classifyTokenError({ cause: headers })).toMatchObject({ code: 'TOKEN_RESPONSE_TOO_LARGE' });
  });

  it("names a proxy's HTML page without showing it; 5xx and 429 stay transient", () => {
    const gateway = classifyTokenError({ status: 502, body: PAGE, headers: { 'content-type': 'text/html' } });
    expect(gateway).toMatchObject({ code: 'TOKEN_SERVER_ERROR', transient: true, status: 502 });
    expect(gateway.message).toContain('HTTP 502, reply: an HTML page');
    expect(gateway.hint).toMatch(/proxy/);
    const throttled = classifyTokenError({ status: 429, body: PAGE });
    expect(throttled).toMatchObject({ code: 'TOKEN_THROTTLED', transient: true });
    for (const error of [gateway, throttled]) {
      expect(`${error.message} ${error.hint} ${JSON.stringify(error)}`).not.toContain('PAGE-CONTENT');
    }
  });

  it('calls a 2xx without a token TOKEN_RESPONSE_INVALID, naming malformed JSON or the page', () => {
    const malformed = classifyTokenError({
      status: 200,
      body: '{"access_token":"PAGE-CONTENT","expires_in":',
    });
    expect(malformed).toMatchObject({ code: 'TOKEN_RESPONSE_INVALID', transient: false, status: 200 });
    expect(malformed.message).toContain('reply: malformed JSON');
    expect(malformed.hint).toContain('o365.oauth.url');
    expect(`${malformed.message} ${JSON.stringify(malformed)}`).not.toContain('PAGE-CONTENT');
    const portal = classifyTokenError({ status: 200, body: '<html>Sign in to the Wi-Fi</html>' });
    expect(portal.message).toContain('reply: an HTML page');
  });

  it("prefers the reply over MSAL's own error: a network_error wrapping an HTML page is not an OAuth2 refusal", () => {
    const msal = Object.assign(new Error('network_error'), {
      errorCode: 'network_error',
      errorMessage: 'Network request failed',
    });
    const error = classifyTokenError({ status: 403, body: PAGE, cause: msal, provider: 'msal' });
    expect(error).toMatchObject({ code: 'TOKEN_REQUEST_FAILED', oauthError: undefined, transient: false });
    expect(error.message).toContain('reply: an HTML page');
    expect(error.hint).toContain('o365.oauth.url');
  });
});

describe('parseRetryAfter', () => {
  it.each([
    ['120', 120_000],
    [' 0 ', 0],
    [new Date(NOW + 90_000).toUTCString(), 90_000],
    [new Date(NOW - 90_000).toUTCString(), 0],
    ['soon', undefined],
    ['-5', undefined],
    ['1.5', undefined],
    ['', undefined],
    [undefined, undefined],
    [null, undefined],
  ])('%j → %j', (value, expected) => {
    expect(parseRetryAfter(value, NOW)).toBe(expected);
  });

  it('finds the header in Headers, plain records (any case) and Node arrays', () => {
    expect(headerValue(new Headers({ 'retry-after': '3' }), 'Retry-After')).toBe('3');
    expect(headerValue({ 'RETRY-AFTER': '4' }, 'retry-after')).toBe('4');
    expect(headerValue({ 'retry-after': ['5', '6'] }, 'Retry-After')).toBe('5');
    expect(headerValue({}, 'Retry-After')).toBeUndefined();
    expect(headerValue(undefined, 'Retry-After')).toBeUndefined();
  });
});

describe('classifyMailError: errors.md texts', () => {
  it.each(MAIL_TABLE)('%s %j → %s', (protocol, serverText, code, fix) => {
    const result = classifyMailError({ protocol, serverText });
    expect(result.code).toBe(code);
    expect(result.hint?.toLowerCase()).toContain(fix.toLowerCase());
    expect(result).toBeInstanceOf(CONNECTION_MAIL_CODES.has(code) ? ConnectionError : AuthenticationError);
    expect(result.transient).toBe(TRANSIENT_MAIL_CODES.has(code));
    expect(result.message).toMatch(new RegExp(`^\\[${protocol}\\] `));
    expect(result.message).toContain(JSON.stringify(serverText));
    if (result instanceof AuthenticationError) expect(result.serverText).toBe(serverText);
  });

  it('carries the suggested backoff of a throttled request', () => {
    const result = classifyMailError({
      protocol: 'imaps',
      serverText: 'NO Request is throttled. Suggested Backoff Time: 2500 milliseconds',
    });
    expect(result).toMatchObject({ code: 'THROTTLED', retryAfterMs: 2500, protocol: 'imap' });
  });

  it('suggests 15 s before retrying when Exchange refuses another SMTP session, and no wait elsewhere by default', () => {
    for (const serverText of [
      '432 4.3.2 Concurrent connections limit exceeded',
      '4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded',
    ]) {
      expect(classifyMailError({ protocol: 'smtp', serverText })).toMatchObject({
        code: 'TOO_MANY_CONNECTIONS',
        transient: true,
        retryAfterMs: 15_000,
      });
    }
    expect(
      classifyMailError({
        protocol: 'smtp',
        serverText: '421 4.7.0 Session invalidated - AccessTokenExpired',
      }).retryAfterMs,
    ).toBeUndefined();
  });

  it("classifies the sandbox's mid-session expiry texts when the client split off the SMTP reply code", () => {
    const result = classifyMailError({
      protocol: 'smtps',
      responseCode: 421,
      serverText: '4.7.0 Session invalidated - TokenRevoked',
    });
    expect(result).toBeInstanceOf(AuthenticationError);
    expect(result).toMatchObject({ code: 'AUTH_TOKEN_EXPIRED', transient: true, protocol: 'smtp' });
  });

  it('has an example in each table row that its own pattern matches, and a row for every errors.md text', () => {
    for (const [protocol, rules] of Object.entries(MAIL_SERVER_ERRORS)) {
      for (const rule of rules) {
        const result = classifyMailError({ protocol: protocol as 'imap', serverText: rule.example });
        expect(result.code, rule.example).toBe(rule.code);
      }
    }
    const codes = new Set(Object.values(MAIL_SERVER_ERRORS).flatMap((rules) => rules.map((r) => r.code)));
    for (const [, , code] of MAIL_TABLE) expect(codes.has(code)).toBe(true);
  });

  it("matches imapflow's split form (text without NO, response code apart)", () => {
    expect(classifyMailError({ protocol: 'imap', serverText: 'AUTHENTICATE failed.' }).code).toBe(
      'AUTH_TOKEN_REJECTED',
    );
    expect(
      classifyMailError({
        protocol: 'imap',
        serverText: 'Authentication failed.',
        responseCode: 'AUTHENTICATIONFAILED',
      }).code,
    ).toBe('AUTH_TOKEN_REJECTED');
    expect(
      classifyMailError({ protocol: 'smtps', serverText: 'Authentication unsuccessful', responseCode: 535 })
        .code,
    ).toBe('AUTH_TOKEN_REJECTED');
  });

  it('classifies Dovecot and Postfix refusals too', () => {
    expect(
      classifyMailError({ protocol: 'imap', serverText: 'NO [AUTHENTICATIONFAILED] Authentication failed.' })
        .code,
    ).toBe('AUTH_TOKEN_REJECTED');
    expect(
      classifyMailError({ protocol: 'pop3', serverText: '-ERR [AUTH] Authentication failed.' }).code,
    ).toBe('AUTH_TOKEN_REJECTED');
    expect(
      classifyMailError({
        protocol: 'smtp',
        serverText: '535 5.7.8 Error: authentication failed: invalid token',
      }).code,
    ).toBe('AUTH_TOKEN_REJECTED');
    expect(
      classifyMailError({ protocol: 'smtp', serverText: '454 4.7.0 Temporary authentication failure' }),
    ).toMatchObject({
      code: 'SERVER_UNAVAILABLE',
      transient: true,
    });
  });

  it('falls back by context for an unknown text', () => {
    expect(
      classifyMailError({ protocol: 'imap', serverText: 'NO Something new', duringAuthentication: true }),
    ).toMatchObject({
      code: 'AUTH_FAILED',
      transient: false,
    });
    const other = classifyMailError({ protocol: 'smtp', serverText: '451 4.4.0 Something temporary' });
    expect(other).toBeInstanceOf(ConnectionError);
    expect(other).toMatchObject({ code: 'SERVER_ERROR', transient: true });
    expect(classifyMailError({ protocol: 'pop3', serverText: '-ERR what' })).toMatchObject({
      code: 'SERVER_ERROR',
      transient: false,
    });
  });
});

describe('classifyMailError: hints from the token claims', () => {
  it("explains a refusal by the token's claims", () => {
    const result = classifyMailError({
      protocol: 'imap',
      serverText: 'NO AUTHENTICATE failed.',
      claims: graphToken,
      mailbox: 'someone@contoso.example',
      now: NOW,
    });
    expect(result).toBeInstanceOf(AuthenticationError);
    const auth = result as AuthenticationError;
    expect(auth.findings.map((f) => f.code)).toEqual(['GRAPH_AUDIENCE', 'MISSING_PERMISSION']);
    expect(auth.hint).toContain('Microsoft Graph');
    expect(auth.hint).toContain('IMAP.AccessAsUser.All');
    expect(auth.claims).toBe(graphToken);
    expect(auth.message).toContain('Token: aud=https://graph.microsoft.com');
  });

  it("adds the scope of the server's error challenge to the hint", () => {
    const result = classifyMailError({
      protocol: 'imap',
      serverText: 'NO AUTHENTICATE failed.',
      challenge: {
        status: '401',
        schemes: 'bearer',
        scope: 'https://outlook.office.com/IMAP.AccessAsUser.All',
      },
    });
    expect(result.hint).toMatch(
      /The server asks for a token with the scope https:\/\/outlook\.office\.com\/IMAP/,
    );
  });

  it('keeps the table hint when the claims look right, and puts a user mismatch before it', () => {
    const good: TokenClaimsSummary = {
      ...graphToken,
      aud: 'https://outlook.office.com',
      scp: ['IMAP.AccessAsUser.All'],
    };
    const rejected = classifyMailError({
      protocol: 'imap',
      serverText: 'NO AUTHENTICATE failed.',
      claims: good,
      now: NOW,
    });
    expect(rejected.hint).toBe(IMAP_SERVER_ERRORS[0]?.hint);

    const notConnected = classifyMailError({
      protocol: 'imap',
      serverText: 'BAD User is authenticated but not connected.',
      claims: good,
      mailbox: 'shared@contoso.example',
      now: NOW,
    });
    expect(notConnected.hint).toMatch(
      /^The token belongs to someone@contoso\.example .*New-ServicePrincipal/,
    );
  });
});

describe('no secret in any produced error', () => {
  it('scrubs tokens from server texts and keeps secrets out of messages and JSON', () => {
    const produced: KalistoError[] = [
      ...TOKEN_TABLE.map(([aadsts, error]) =>
        classifyTokenError({
          status: 400,
          body: microsoftReply(aadsts, error, `Bad token ${ACCESS_TOKEN}.`),
          cause: new Error(`POST client_secret=${CLIENT_SECRET}&password=${PASSWORD}`),
        }),
      ),
      classifyTokenError({ cause: Object.assign(new Error(`password=${PASSWORD}`), { code: 'ETIMEDOUT' }) }),
      ...MAIL_TABLE.map(([protocol, serverText]) =>
        classifyMailError({
          protocol,
          serverText: `${serverText} (command: AUTH XOAUTH2 ${XOAUTH2_PAYLOAD}; token ${ACCESS_TOKEN})`,
          claims: graphToken,
          now: NOW,
        }),
      ),
    ];
    for (const error of produced) {
      const rendered = [error.message, error.hint ?? '', JSON.stringify(error)].join('\n');
      for (const secret of SECRETS) expect(rendered).not.toContain(secret);
    }
  });

  it('scrubTokenLike leaves ordinary server texts alone', () => {
    const text =
      '535 5.7.139 Authentication unsuccessful [BN0PR04CA0123.namprd04.prod.outlook.com 2026-11-29T06:00:00.000Z]';
    expect(scrubTokenLike(text)).toBe(text);
    expect(scrubTokenLike(`x ${ACCESS_TOKEN} y ${XOAUTH2_PAYLOAD}`)).toBe('x [redacted] y [redacted]');
  });

  it.each([
    ['a', 'a'.repeat(8 * 1024 * 1024)],
    ['eyJ', 'eyJ'.repeat(3 * 1024 * 1024)],
    ['eyJ-', 'eyJ-'.repeat(2 * 1024 * 1024)],
  ])('scrubTokenLike bounds an 8 MB server text of %s (no RangeError, no quadratic scan)', (_name, text) => {
    const scrubbed = scrubTokenLike(text);
    expect(scrubbed.length).toBeLessThanOrEqual(64 * 1024 + 1);
  });

  it('scrubTokenLike finds a JWT inside a longer run and leaves dotted host names alone', () => {
    expect(scrubTokenLike(`token=${ACCESS_TOKEN};`)).toBe('token=[redacted];');
    expect(scrubTokenLike('BN0PR04CA0123.namprd04.prod.outlook.com')).toBe(
      'BN0PR04CA0123.namprd04.prod.outlook.com',
    );
  });
});
