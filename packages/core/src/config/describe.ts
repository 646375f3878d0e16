import { displayValue } from './redaction.js';
import type { ConfigSource, ResolvedConfig } from './types.js';

/** One line of a printed configuration. */
export interface ConfigRow {
  readonly property: string;
  /** The value as given (secrets as `***`). */
  readonly value: string;
  readonly source: ConfigSource;
}

/** Every resolved property with its value and source, sorted by name; secrets as `***`. */
export function describeConfig(config: ResolvedConfig): ConfigRow[] {
  return Object.keys(config.properties)
    .sort()
    .map((property) => ({
      property,
      value: displayValue(property, config.properties[property]!),
      source: config.sources[property] ?? 'input',
    }));
}

/** Longest value shown in full by {@link formatConfig}; PEM text and the like are shortened. */
const MAX_VALUE_WIDTH = 72;

/** A value on one line: control characters escaped, long values shortened with `…`. */
function oneLine(value: string): string {
  const escaped = value.replace(/[\u0000-\u001f\u007f]/g, (c) =>
    c === '\n'
      ? '\\n'
      : c === '\r'
        ? '\\r'
        : c === '\t'
          ? '\\t'
          : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return escaped.length > MAX_VALUE_WIDTH ? `${escaped.slice(0, MAX_VALUE_WIDTH - 1)}…` : escaped;
}

/** The configuration as an aligned text table (PROPERTY, VALUE, SOURCE), secrets as `***`. */
export function formatConfig(config: ResolvedConfig): string {
  const rows = describeConfig(config).map((row) => [row.property, oneLine(row.value), row.source] as const);
  const header = ['PROPERTY', 'VALUE', 'SOURCE'] as const;
  const width = (column: 0 | 1): number =>
    Math.max(header[column].length, ...rows.map((row) => row[column].length));
  const [w0, w1] = [width(0), width(1)];
  return [header, ...rows]
    .map(([property, value, source]) => `${property.padEnd(w0)}  ${value.padEnd(w1)}  ${source}`)
    .join('\n');
}
