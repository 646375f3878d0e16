import { inspect } from 'node:util';
import { findProperty } from './property-table.js';

export const REDACTED = '***';

/** Names that look like they hold a secret, for properties the table does not know. */
const SECRET_NAME = /password|secret|privatekey|passphrase|credential/i;

/** True when a property's value must never be shown: secret rows and secret-looking names. */
export function isSecretProperty(name: string): boolean {
  return findProperty(name)?.kind === 'secret' || SECRET_NAME.test(name);
}

/** The value as it may be shown: `***` for secrets. */
export function displayValue(name: string, value: string): string {
  return isSecretProperty(name) ? REDACTED : value;
}

function redactedCopy(map: Readonly<Record<string, string>>): Record<string, string> {
  const copy: Record<string, string> = {};
  for (const [name, value] of Object.entries(map)) {
    Object.defineProperty(copy, name, { value: displayValue(name, value), enumerable: true });
  }
  return copy;
}

/**
 * Serialisation and inspection of a property map redact its secrets; reading a key still gives
 * the value. The methods live on the prototype so that the map's own keys are only properties.
 */
const REDACTING_PROTOTYPE: object = Object.freeze(
  Object.create(null, {
    toJSON: {
      value(this: Record<string, string>) {
        return redactedCopy(this);
      },
    },
    [inspect.custom]: {
      value(this: Record<string, string>) {
        return redactedCopy(this);
      },
    },
  }),
);

/** A frozen copy of `entries` that prints and serialises with its secrets as `***`. */
export function redactingPropertyMap(
  entries: Iterable<readonly [string, string]>,
): Readonly<Record<string, string>> {
  const map: Record<string, string> = Object.create(REDACTING_PROTOTYPE);
  for (const [name, value] of entries) {
    Object.defineProperty(map, name, { value, enumerable: true });
  }
  return Object.freeze(map);
}

/** Freezes an object graph (Secret instances included; their value is private anyway). */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<PropertyKey, unknown>)[key]);
  }
  return value;
}
