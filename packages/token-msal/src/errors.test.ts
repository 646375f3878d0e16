import { AuthError, InteractionRequiredAuthError, ServerError } from '@azure/msal-node';
import { TokenError } from '@kalisto/core';
import { describe, expect, it } from 'vitest';
import { needsSignIn, toTokenError } from './errors.js';

const badSecretBody = {
  error: 'invalid_client',
  error_description:
    'AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.\r\nTrace ID: t-1\r\nCorrelation ID: c-1',
  error_codes: [7000215],
  trace_id: 't-1',
  correlation_id: 'c-1',
};

describe('toTokenError', () => {
  it('classifies the recorded response: AADSTS code, ids and hint', () => {
    const msal = new ServerError(
      'invalid_client',
      'c-1',
      badSecretBody.error_description,
      '',
      '7000215',
      401,
    );
    const error = toTokenError(msal, { status: 401, body: badSecretBody, headers: {} });
    expect(error).toBeInstanceOf(TokenError);
    expect(error).toMatchObject({
      code: 'TOKEN_INVALID_CLIENT_SECRET',
      aadsts: '7000215',
      traceId: 't-1',
      correlationId: 'c-1',
      status: 401,
      transient: false,
      provider: 'msal',
    });
    expect((error as TokenError).hint).toMatch(/Value, not its ID/);
  });

  it('marks a 503 with Retry-After transient with the suggested wait', () => {
    const error = toTokenError(new Error('network_error'), {
      status: 503,
      body: { error: 'temporarily_unavailable', error_description: 'busy' },
      headers: { 'retry-after': '2' },
    });
    expect(error).toMatchObject({ transient: true, retryAfterMs: 2000, status: 503 });
  });

  it('marks a failed connection transient', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    const error = toTokenError(new AuthError('network_error', ''), { cause: refused });
    expect(error).toMatchObject({ code: 'TOKEN_NETWORK_ERROR', transient: true });
  });

  it("falls back to the fields of MSAL's error when no response was recorded", () => {
    const msal = new ServerError(
      'invalid_grant',
      'c-2',
      'AADSTS700082: The refresh token has expired due to inactivity.',
      '',
      '700082',
      400,
    );
    expect(toTokenError(msal, undefined)).toMatchObject({ code: 'TOKEN_REFRESH_EXPIRED', aadsts: '700082' });
  });

  it("explains MSAL's client-side device code failures", () => {
    const error = toTokenError(new AuthError('device_code_expired', ''), undefined);
    expect(error).toMatchObject({ code: 'TOKEN_DEVICE_CODE_EXPIRED', provider: 'msal' });
    const missing = toTokenError(new InteractionRequiredAuthError('no_tokens_found', ''), undefined);
    expect(missing).toMatchObject({ code: 'TOKEN_SIGN_IN_REQUIRED' });
    expect((missing as TokenError).hint).toMatch(/device code/);
  });

  it('passes other errors through for the provider wrapper', () => {
    const bug = new TypeError('x is not a function');
    expect(toTokenError(bug, undefined)).toBe(bug);
  });
});

describe('needsSignIn', () => {
  it('is true for interaction-required errors and refused refresh tokens only', () => {
    expect(needsSignIn(new InteractionRequiredAuthError('no_tokens_found', ''), undefined)).toBe(true);
    expect(
      needsSignIn(new ServerError('invalid_grant', ''), { status: 400, body: { error: 'invalid_grant' } }),
    ).toBe(true);
    expect(
      needsSignIn(new ServerError('invalid_client', ''), { status: 401, body: { error: 'invalid_client' } }),
    ).toBe(false);
    expect(needsSignIn(new AuthError('network_error', ''), { status: 503, body: {} })).toBe(false);
  });
});
