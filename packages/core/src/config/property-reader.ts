import type { ConfigIssue } from '../errors/errors.js';
import type { PropertyDefinition } from './property-table.js';
import { displayValue } from './redaction.js';
import type { ConfigSource, ConfigWarning } from './types.js';

/** One resolved property: its string value and the layer it came from. */
export interface PropertyEntry {
  readonly value: string;
  readonly source: ConfigSource;
}

const BOOLEAN = /^(true|false)$/i;
const INTEGER = /^[+-]?\d+$/;

/**
 * Typed, validating access to the layered property map. A bad value adds an issue (secrets
 * redacted) and reads as `undefined`, so that validation carries on and reports every problem.
 * Non-secret values are read trimmed: a trailing space pasted into a console is not a new value.
 */
export class PropertyReader {
  readonly issues: ConfigIssue[] = [];
  /** Problems that do not stop the configuration from working (see `ResolvedConfig.warnings`). */
  readonly warnings: ConfigWarning[] = [];
  readonly #reported = new Set<string>();

  /**
   * @param nearMissHint for a missing property, the hint naming what was probably meant instead
   *   (see {@link PropertyReader.missing}).
   */
  constructor(
    readonly entries: ReadonlyMap<string, PropertyEntry>,
    private readonly definitions: ReadonlyMap<string, PropertyDefinition>,
    private readonly nearMissHint: (name: string) => string = () => '',
  ) {}

  /** Whether any layer (default included) gives the property a value. */
  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** The layer the property's value came from. */
  source(name: string): ConfigSource | undefined {
    return this.entries.get(name)?.source;
  }

  /** The value exactly as given (secrets still encoded). */
  raw(name: string): string | undefined {
    return this.entries.get(name)?.value;
  }

  /** The trimmed value; an empty value counts as absent. */
  string(name: string): string | undefined {
    const value = this.raw(name)?.trim();
    return value === '' ? undefined : value;
  }

  /** Whether the value came from the input or the environment (not a default or a preset). */
  isGiven(name: string): boolean {
    const source = this.source(name);
    return source === 'input' || source === 'environment';
  }

  /** Adds an issue for `name` (once per property and expectation). */
  issue(name: string, expected: string, withValue = true): void {
    const key = `${name}\u0000${expected}`;
    if (this.#reported.has(key)) return;
    this.#reported.add(key);
    const value = this.raw(name);
    this.issues.push({
      property: name,
      ...(withValue && value !== undefined && { value: displayValue(name, value) }),
      expected,
    });
  }

  /** Adds an issue for a missing property, naming a given near miss of it when there is one. */
  missing(name: string, expected: string): void {
    this.issue(name, `${expected}${this.nearMissHint(name)}`, false);
  }

  /** Adds a warning for `name`. */
  warn(name: string, message: string): void {
    this.warnings.push({ property: name, message });
  }

  /** An integer within the row's range. */
  int(name: string): number | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    const [min, max] = this.definitions.get(name)?.range ?? [
      Number.MIN_SAFE_INTEGER,
      Number.MAX_SAFE_INTEGER,
    ];
    const value = INTEGER.test(text) ? Number(text) : Number.NaN;
    if (!(value >= min && value <= max)) {
      this.issue(name, `an integer from ${min} to ${max}`);
      return undefined;
    }
    return value;
  }

  /** `true` or `false`, any case (stricter than Java, which reads anything else as false). */
  boolean(name: string): boolean | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    if (!BOOLEAN.test(text)) {
      this.issue(name, 'true or false');
      return undefined;
    }
    return text.toLowerCase() === 'true';
  }

  /** A list separated by whitespace or commas. */
  list(name: string): string[] {
    return (this.string(name) ?? '').split(/[\s,]+/).filter((item) => item !== '');
  }

  /** One of `values`, exactly. */
  oneOf<T extends string>(name: string, values: readonly T[]): T | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    if (!(values as readonly string[]).includes(text)) {
      this.issue(name, `one of ${values.join(', ')}`);
      return undefined;
    }
    return text as T;
  }

  /** A URL with one of `protocols` (e.g. `['https:']`); `undefined` when absent or bad. */
  url(name: string, protocols: readonly string[], what = 'URL'): URL | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    const url = URL.canParse(text) ? new URL(text) : undefined;
    if (url === undefined || !protocols.includes(url.protocol)) {
      this.issue(name, `an ${protocols.map((p) => p.slice(0, -1)).join(' or ')} ${what}`);
      return undefined;
    }
    return url;
  }

  /** Checks every present property of a known kind (int, boolean, enum), reporting each bad value. */
  validateKinds(): void {
    for (const name of this.entries.keys()) {
      const row = this.definitions.get(name);
      if (row?.kind === 'int') this.int(name);
      else if (row?.kind === 'boolean') this.boolean(name);
      else if (row?.kind === 'enum' && row.values) this.oneOf(name, row.values);
    }
  }
}
