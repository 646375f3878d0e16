import { describe, expect, it } from 'vitest';
import { ResponseTooLargeError } from './http-body.js';
import { describeReplyBody, matchTransportFailure, TOKEN_TRANSPORT_ERRORS } from './http-failure.js';

describe('describeReplyBody', () => {
  it.each([
    ['<!DOCTYPE html><html><body>502 Bad Gateway</body></html>', undefined, 'an HTML page'],
    ['Bad gateway', 'text/html; charset=utf-8', 'an HTML page'],
    ['{"access_token":"abc","expires_in":', 'application/json', 'malformed JSON'],
    ['{"access_token"', undefined, 'malformed JSON'],
    ['oops', 'application/json', 'malformed JSON'],
    ['Service Unavailable', 'text/plain', 'text that is not JSON'],
    ['  ', undefined, 'an empty body'],
    ['"a string"', 'application/json', 'JSON that is not an OAuth2 reply'],
  ])('names %j (%s) as %s', (body, contentType, kind) => {
    expect(describeReplyBody(body, contentType)).toBe(kind);
  });

  it('says nothing of a parsed reply or no body', () => {
    expect(describeReplyBody({ error: 'invalid_grant' })).toBeUndefined();
    expect(describeReplyBody(undefined)).toBeUndefined();
  });
});

describe('matchTransportFailure', () => {
  it('finds the code a few causes down, with the size limit of an oversized reply', () => {
    const tls = Object.assign(new Error('self-signed certificate in certificate chain'), {
      code: 'SELF_SIGNED_CERT_IN_CHAIN',
    });
    expect(matchTransportFailure(new TypeError('fetch failed', { cause: tls }))).toMatchObject({
      rule: { code: 'TOKEN_TLS_UNTRUSTED' },
      causeCode: 'SELF_SIGNED_CERT_IN_CHAIN',
    });
    expect(matchTransportFailure(new ResponseTooLargeError(1024))).toMatchObject({
      rule: { code: 'TOKEN_RESPONSE_TOO_LARGE' },
      limit: 1024,
    });
    expect(matchTransportFailure(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBeUndefined();
  });

  it('has each cause code in one row only, and a hint naming a setting in every row', () => {
    const causes = TOKEN_TRANSPORT_ERRORS.flatMap((r) => r.causes);
    expect(new Set(causes).size).toBe(causes.length);
    for (const rule of TOKEN_TRANSPORT_ERRORS) expect(rule.hint).toMatch(/o365\.|kalisto\.|clock/);
  });
});
