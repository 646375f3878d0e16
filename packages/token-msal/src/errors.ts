import { AuthError, InteractionRequiredAuthError } from '@azure/msal-node';
import { isKalistoError, TokenError } from '@kalisto/core';
import { classifyTokenError } from '@kalisto/core/plugin';
import type { HttpFailure } from './network-client.js';

/** The provider name every error and log line carries. */
export const PROVIDER_NAME = 'msal';

// MSAL's own (client-side) failures that need words of ours: they never reach the server.
const CLIENT_ERRORS: Readonly<Record<string, { code: string; message: string; hint: string }>> = {
  device_code_expired: {
    code: 'TOKEN_DEVICE_CODE_EXPIRED',
    message: 'The device code expired before anyone signed in with it.',
    hint: 'Run the sign-in again and complete it at the address shown within the time given.',
  },
  user_timeout_reached: {
    code: 'TOKEN_DEVICE_CODE_TIMEOUT',
    message: 'Nobody completed the device code sign-in in time.',
    hint: 'Run the sign-in again and complete it sooner, or raise deviceCodeTimeoutMs.',
  },
  no_tokens_found: {
    code: 'TOKEN_SIGN_IN_REQUIRED',
    message: 'There is no refresh token for this user in the token cache.',
    hint: 'Sign in once with the device code flow (o365.oauth.flow=device_code) using the same cache backend, or pass refreshToken.',
  },
  refresh_token_expired: {
    code: 'TOKEN_SIGN_IN_REQUIRED',
    message: 'The cached refresh token has expired.',
    hint: 'Sign in again (device code flow); tokens stay alive when used at least every 90 days.',
  },
};

/**
 * What an MSAL call threw, as a TokenError: from the recorded HTTP response when there is one
 * (AADSTS code, trace and correlation ids, Retry-After), else from MSAL's error fields. Never
 * contains a secret: request bodies are not recorded and MSAL's messages carry none.
 */
export function toTokenError(error: unknown, failure: HttpFailure | undefined): unknown {
  if (isKalistoError(error)) return error;
  // MSAL's own verdicts first: the last response (e.g. a pending device code poll) did not cause them.
  const known = error instanceof AuthError ? CLIENT_ERRORS[error.errorCode] : undefined;
  if (known !== undefined) {
    return new TokenError(`[token:${PROVIDER_NAME}] ${known.message}`, {
      code: known.code,
      hint: known.hint,
      oauthError: (error as AuthError).errorCode,
      provider: PROVIDER_NAME,
      cause: error,
    });
  }
  if (failure?.status !== undefined) {
    return classifyTokenError({
      status: failure.status,
      body: failure.body,
      headers: failure.headers,
      provider: PROVIDER_NAME,
      cause: error,
    });
  }
  if (failure?.cause !== undefined) {
    return classifyTokenError({ provider: PROVIDER_NAME, cause: failure.cause });
  }
  if (error instanceof AuthError) {
    // The classifier reads MSAL's errorCode, errorMessage, errorNo and status from the error itself.
    return classifyTokenError({ provider: PROVIDER_NAME, cause: error });
  }
  // Anything else is a bug or a configuration problem: defineTokenProvider wraps it, secrets scrubbed.
  return error;
}

/**
 * True when only a new sign-in can help: the refresh token is missing, expired or revoked
 * (`invalid_grant`), or the server demands interaction.
 */
export function needsSignIn(error: unknown, failure: HttpFailure | undefined): boolean {
  if (error instanceof InteractionRequiredAuthError) return true;
  const body = failure?.body as { error?: unknown } | undefined;
  return failure?.status === 400 && body?.error === 'invalid_grant';
}
