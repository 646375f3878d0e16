import { inspect } from 'node:util';
import type { ConfigIssue } from '../errors/errors.js';
import { findProperty, PROPERTY_TABLE, protocolProperties } from './property-table.js';
import { suggest } from './suggest.js';

export const REDACTED = '***';

/** The secret rows of the table. */
const SECRET_ROWS = PROPERTY_TABLE.filter((row) => row.kind === 'secret').map((row) => row.name);

/** Words that make a name the table does not know look like it holds a secret. */
const SECRET_WORDS = /pass|pasw|pwd|secret|secert|key|token|cred|privat|assertion|cookie/i;

/** What follows `mail.<protocol>.` in every protocol row (`host`, `ssl.enable`, `pool.maxMessages`, …). */
const PROTOCOL_ROW_SUFFIXES: ReadonlySet<string> = new Set(
  [...protocolProperties('imap'), ...protocolProperties('smtp')].map((row) =>
    row.name.slice(row.name.indexOf('.', 'mail.'.length) + 1),
  ),
);

/** True for a protocol row of any protocol, a custom one included (`mail.custom.host`). */
function isProtocolRow(name: string): boolean {
  const suffix = /^mail\.[^.]+\.(.+)$/.exec(name)?.[1];
  return suffix !== undefined && PROTOCOL_ROW_SUFFIXES.has(suffix);
}

/**
 * True when a property's value must never be shown: the secret rows; any name within two edits
 * (or a different case) of one (`o365.pasword`, `o365.oauth.clientSecert`); and any name the
 * table does not know that suggests a secret (pass, pwd, secret, key, token, cred, privat, …).
 * Known rows are decided by the table: `kalisto.token.refreshSkew` is shown.
 */
export function isSecretProperty(name: string): boolean {
  const row = findProperty(name);
  if (row !== undefined) return row.kind === 'secret';
  if (isProtocolRow(name)) return false;
  return SECRET_WORDS.test(name) || suggest(name, SECRET_ROWS) !== undefined;
}

/** The value as it may be shown: `***` for secrets. */
export function displayValue(name: string, value: string): string {
  return isSecretProperty(name) ? REDACTED : value;
}

/** Longest name looked at before an `=` or `:` inside a value. */
const MAX_EMBEDDED_NAME = 200;
const NAME_CHAR = /[A-Za-z0-9_.-]/;

/** The secret row `candidate` ends with (exactly or as a near miss), if any. */
function secretRowAtEnd(candidate: string): string | undefined {
  for (const row of SECRET_ROWS) {
    for (let length = row.length - 2; length <= row.length + 2; length++) {
      const tail = candidate.slice(-length);
      if (tail.length === length && (tail === row || suggest(tail, [row]) === row)) return row;
    }
  }
  return undefined;
}

/**
 * What a value shown in an error holds of a secret property's text: a secret-looking name followed
 * by `=` or `:` (two `.properties` lines joined by a stray `\`). `name` is the secret row when the
 * name ends with one. One pass over the value.
 */
function embeddedSecretAssignment(value: string): { name: string | undefined } | undefined {
  for (let at = 0; at < value.length; at++) {
    const c = value[at];
    if (c !== '=' && c !== ':') continue;
    let end = at;
    while (end > 0 && (value[end - 1] === ' ' || value[end - 1] === '\t')) end--;
    let start = end;
    while (start > 0 && end - start < MAX_EMBEDDED_NAME && NAME_CHAR.test(value[start - 1]!)) start--;
    const candidate = value.slice(start, end);
    if (candidate === '') continue;
    const row = secretRowAtEnd(candidate);
    if (row !== undefined || isSecretProperty(candidate)) return { name: row };
  }
  return undefined;
}

/** Longest value an issue shows; a longer one is cut, with the number of characters left out. */
export const MAX_ISSUE_VALUE_LENGTH = 256;
/** Secrets shorter than this are not looked for inside values (as in the log redactor). */
const MIN_SECRET_LENGTH = 4;
const REFERENCE = /^(?:env|file):/;

/**
 * An issue as a `ConfigError` shows it. Its value becomes `***` when the property is a secret (an
 * `env:`/`file:` reference, which says where the secret is, excepted), when the value contains one
 * of `secrets`, or a secret property's name followed by `=` or `:` (then `expected` says why);
 * otherwise a value over {@link MAX_ISSUE_VALUE_LENGTH} characters is cut.
 */
export function redactIssue(issue: ConfigIssue, secrets: readonly string[]): ConfigIssue {
  const { value } = issue;
  if (value === undefined || value === REDACTED) return issue;
  if (isSecretProperty(issue.property)) return REFERENCE.test(value) ? issue : { ...issue, value: REDACTED };
  if (secrets.some((secret) => secret.length >= MIN_SECRET_LENGTH && value.includes(secret))) {
    return { ...issue, value: REDACTED };
  }
  const shown =
    value.length > MAX_ISSUE_VALUE_LENGTH
      ? `${value.slice(0, MAX_ISSUE_VALUE_LENGTH)}…(${value.length} characters)`
      : value;
  const embedded = embeddedSecretAssignment(shown.slice(0, MAX_ISSUE_VALUE_LENGTH));
  if (embedded === undefined) return shown === value ? issue : { ...issue, value: shown };
  const what = embedded.name === undefined ? 'a secret property' : embedded.name;
  return {
    ...issue,
    value: REDACTED,
    expected: `${issue.expected} (the value holds ${what} followed by = or :, so it is not shown: does the line before end with a stray \\ that joined two lines?)`,
  };
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
