import type { AuthenticationError } from '../errors/errors.js';
import { isKalistoError } from '../errors/errors.js';
import { telemetryOf } from '../telemetry/recorder.js';
import type { AccessToken } from '../token/types.js';
import type { ProtocolContext } from './types.js';

/**
 * Refusals a fresh token can cure: the token was rejected, expired or not understood. Others
 * (mailbox not granted, SMTP AUTH disabled, SendAs denied, throttling) fail the same way with any
 * token, so they are not retried and cost no extra token request.
 */
export const RETRYABLE_REFUSAL_CODES: ReadonlySet<string> = new Set([
  'AUTH_TOKEN_REJECTED',
  'AUTH_TOKEN_EXPIRED',
  'AUTH_FAILED',
]);

/**
 * What a refused token's claims can show that a fresh token from the same configuration would show
 * too: the permission is missing, the audience or the tenant is wrong. A retry would cost a token
 * request and a login for the same refusal.
 */
export const INCURABLE_FINDINGS: ReadonlySet<string> = new Set([
  'MISSING_PERMISSION',
  'GRAPH_AUDIENCE',
  'WRONG_AUDIENCE',
  'WRONG_TENANT',
]);

/**
 * Whether a fresh token may cure this login failure: an `AuthenticationError` with a
 * {@link RETRYABLE_REFUSAL_CODES retryable code} whose claims findings show none of the
 * {@link INCURABLE_FINDINGS}. Protocols with their own retry loop (SMTP) use it too.
 */
export function isCurableRefusal(error: unknown): error is AuthenticationError {
  // By name and brand, not instanceof: the application may have a second copy of @kalisto/core.
  if (
    !isKalistoError(error) ||
    error.name !== 'AuthenticationError' ||
    !RETRYABLE_REFUSAL_CODES.has(error.code)
  ) {
    return false;
  }
  const findings = (error as { findings?: readonly { code: string }[] }).findings ?? [];
  return !findings.some((finding) => INCURABLE_FINDINGS.has(finding.code));
}

/**
 * Logs in with the session's token. When the server refuses it (`login` throws an
 * `AuthenticationError` with a retryable code and claims that do not already explain the refusal,
 * see {@link isCurableRefusal}), the token is forgotten in session memory and the
 * shared cache, a fresh one is forced from the identity platform, and `login` runs once more; a
 * second refusal reaches the caller. `login` must close whatever it opened before throwing.
 */
export async function loginWithTokenRetry<T>(
  context: Pick<ProtocolContext, 'session' | 'logger' | 'signal'> &
    Partial<Pick<ProtocolContext, 'settings' | 'telemetry'>>,
  login: (token: AccessToken) => Promise<T>,
): Promise<T> {
  const { session, logger, signal } = context;
  const request = signal === undefined ? {} : { signal };
  try {
    return await login(await session.tokens.getToken(request));
  } catch (error) {
    if (!isCurableRefusal(error)) throw error;
    logger.info({ code: error.code }, 'The server refused the token; retrying once with a fresh one');
    telemetryOf(context).mailReconnect(context.settings?.protocol ?? 'unknown', 'token');
  }
  await session.tokens.invalidate(request);
  return login(await session.tokens.getToken({ ...request, forceRefresh: true }));
}
