import { describe, expect, it } from 'vitest';
import {
  ACCESS_TOKEN,
  CLIENT_SECRET,
  CORRELATION,
  microsoftReply,
  NOW,
  PASSWORD,
  SECRETS,
  TOKEN_TABLE,
  TRACE,
} from '../../test/classify-fixtures.js';
import { ResponseTooLargeError } from '../token/http-body.js';
import { classifyTokenError } from './classify-token.js';
import { type KalistoError, TokenError } from './errors.js';
import { AADSTS_ERRORS } from './token-error-rules.js';

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

describe('no secret in any produced error', () => {
  it('keeps tokens and secrets out of token errors, their hints and their JSON', () => {
    const produced: KalistoError[] = [
      ...TOKEN_TABLE.map(([aadsts, error]) =>
        classifyTokenError({
          status: 400,
          body: microsoftReply(aadsts, error, `Bad token ${ACCESS_TOKEN}.`),
          cause: new Error(`POST client_secret=${CLIENT_SECRET}&password=${PASSWORD}`),
        }),
      ),
      classifyTokenError({ cause: Object.assign(new Error(`password=${PASSWORD}`), { code: 'ETIMEDOUT' }) }),
    ];
    for (const error of produced) {
      const rendered = [error.message, error.hint ?? '', JSON.stringify(error)].join('\n');
      for (const secret of SECRETS) expect(rendered).not.toContain(secret);
    }
  });
});
