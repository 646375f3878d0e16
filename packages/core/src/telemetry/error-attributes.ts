import { isKalistoError } from '../errors/errors.js';
import type { TelemetryAttributes } from './types.js';

/** A code-like `error.code` (`ECONNRESET`), not free text. */
const CODE = /^[A-Z][A-Z0-9_]{1,63}$/;

/**
 * `error.type` of a failure: its Kalisto code (`TOKEN_INVALID_CLIENT_SECRET`), else a code-like
 * `code` (`ECONNRESET`), else `_OTHER` (OpenTelemetry's value for an unknown type). Never a message.
 */
export function errorType(error: unknown): string {
  if (isKalistoError(error)) return error.code;
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' && CODE.test(code) ? code : '_OTHER';
}

/** The AADSTS number a `TokenError` carries (`7000215`), if any. */
export function aadstsOf(error: unknown): string | undefined {
  const aadsts = (error as { aadsts?: unknown } | null | undefined)?.aadsts;
  return typeof aadsts === 'string' && /^\d{1,9}$/.test(aadsts) ? aadsts : undefined;
}

/** `error.type` and, when known, `kalisto.aadsts`; nothing for no error. */
export function errorAttributes(error: unknown, into: TelemetryAttributes): TelemetryAttributes {
  if (error === undefined) return into;
  into['error.type'] = errorType(error);
  const aadsts = aadstsOf(error);
  if (aadsts !== undefined) into['kalisto.aadsts'] = aadsts;
  return into;
}
