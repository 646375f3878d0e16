import { scrubTokenLike } from '../errors/server-text.js';
import type { TelemetryAttributes, TelemetryAttributeValue } from './types.js';

/** Longest attribute string kept: Kalisto's values are names and codes, never prose. */
export const MAX_ATTRIBUTE_LENGTH = 128;

/** An attribute whose key's last segment names a secret is never recorded, whatever its value. */
const SECRET_KEY = /(secret|password|passwd|token|authorization|assertion|cookie|credential|bearer)$/i;

/**
 * Whether an attribute may be recorded: a finite number, a boolean, or a short string that holds
 * nothing token-like (`scrubTokenLike` finds no JWT or long opaque run), under a key that names no secret
 * (`kalisto.token.provider` is fine, `kalisto.refresh_token` is not).
 */
export function isSafeAttribute(key: string, value: unknown): value is TelemetryAttributeValue {
  if (SECRET_KEY.test(key.slice(key.lastIndexOf('.') + 1))) return false;
  switch (typeof value) {
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'string':
      return value.length <= MAX_ATTRIBUTE_LENGTH && scrubTokenLike(value) === value;
    default:
      return false;
  }
}

/** `attributes` without what {@link isSafeAttribute} refuses (and without undefined values). */
export function safeAttributes(attributes: TelemetryAttributes | undefined): TelemetryAttributes {
  const safe: TelemetryAttributes = {};
  if (attributes === undefined) return safe;
  for (const key in attributes) {
    const value = attributes[key];
    if (value !== undefined && isSafeAttribute(key, value)) safe[key] = value;
  }
  return safe;
}
