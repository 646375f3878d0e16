import { inspect } from 'node:util';

const REDACTED = '***';

/**
 * A secret value (password, client secret, token) that cannot leak by accident: it prints,
 * serialises and inspects as `***`. Call `reveal()` at the one place the value is really needed.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return `Secret(${REDACTED})`;
  }
}

export function isSecret(value: unknown): value is Secret {
  return value instanceof Secret;
}
