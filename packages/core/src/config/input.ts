import { ConfigError, type ConfigIssue } from '../errors/errors.js';
import { parseProperties } from './properties-text.js';
import { isSecret, type Secret } from './secret.js';
import { type KalistoConfigOptions, TYPED_OPTION_NAMES, typedOptionsToProperties } from './typed-options.js';

/** A property's value in a map given to `resolveConfig`; `undefined`/`null` mean absent. */
export type PropertyValue = string | number | boolean | Secret | null | undefined;

/**
 * What `resolveConfig` accepts: `.properties` text, a property map (plain object or `Map`, keyed by
 * property names such as `mail.imap.host`), or typed {@link KalistoConfigOptions}. A plain object is a
 * property map when any key contains a dot, else typed options.
 */
export type ConfigInput =
  | string
  | ReadonlyMap<string, PropertyValue>
  | Readonly<Record<string, PropertyValue>>
  | KalistoConfigOptions;

/** A Map key that is not a string, named without calling any method of its own. */
function describeKey(key: unknown): string {
  if (typeof key === 'symbol') return key.toString();
  if (typeof key === 'object' && key !== null) return Object.prototype.toString.call(key);
  return String(key);
}

function propertyMapEntries(
  entries: Iterable<[unknown, unknown]>,
  issues: ConfigIssue[],
): Map<string, string> {
  const out = new Map<string, string>();
  for (const [property, value] of entries) {
    if (typeof property !== 'string') {
      issues.push({
        property: `(Map key ${describeKey(property)})`,
        expected: 'a property name (a string such as mail.imap.host)',
      });
      continue;
    }
    if (value === undefined || value === null) continue;
    if (typeof value === 'string' || typeof value === 'boolean') out.set(property, String(value));
    else if (typeof value === 'number' && Number.isFinite(value)) out.set(property, String(value));
    else if (isSecret(value)) out.set(property, value.reveal());
    else issues.push({ property, expected: 'a string, a finite number, a boolean or a Secret' });
  }
  return out;
}

/**
 * Turns any {@link ConfigInput} into a property map, collecting problems in `issues`.
 *
 * @throws ConfigError for input that is none of the accepted forms, and for malformed `.properties` text.
 */
export function inputToProperties(input: ConfigInput): {
  properties: Map<string, string>;
  issues: ConfigIssue[];
} {
  const issues: ConfigIssue[] = [];
  if (typeof input === 'string') {
    return { properties: new Map(Object.entries(parseProperties(input))), issues };
  }
  if (input instanceof Map) {
    return { properties: propertyMapEntries((input as Map<unknown, unknown>).entries(), issues), issues };
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    // Nothing else can be checked without a map: report this alone.
    throw new ConfigError([
      {
        property: '(input)',
        expected: '.properties text, a property map (object or Map) or KalistoConfigOptions',
      },
    ]);
  }
  const keys = Object.keys(input);
  if (!keys.some((key) => key.includes('.'))) {
    return typedOptionsToProperties(input as Record<string, unknown>);
  }

  for (const key of keys) {
    if (TYPED_OPTION_NAMES.includes(key)) {
      issues.push({
        property: key,
        expected:
          'property names only: this object has dotted property names, so it is a property map (use KalistoConfigOptions.properties to mix the two)',
      });
    }
  }
  const entries = Object.entries(input).filter(([key]) => !TYPED_OPTION_NAMES.includes(key));
  return { properties: propertyMapEntries(entries, issues), issues };
}
