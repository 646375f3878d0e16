import type { PropertyReader } from './property-reader.js';
import { MAIL_PROTOCOLS, type PropertyDefinition } from './property-table.js';
import { suggest } from './suggest.js';
import type { ConfigWarning } from './types.js';

/** Namespaces that belong to Kalisto (and the Java library): an unknown name there is a mistake. */
const OWN_NAMESPACES = ['o365.', 'kalisto.', 'websphere.', 'security.'];

/** The known names a property name should be compared with. */
function candidatesFor(name: string, definitions: ReadonlyMap<string, PropertyDefinition>): string[] {
  const known = [...definitions.keys()];
  const protocolPrefix = /^mail\.[^.]+\./.exec(name)?.[0];
  if (protocolPrefix !== undefined) return known.filter((k) => k.startsWith(protocolPrefix));
  if (name.startsWith('mail.')) return known.filter((k) => /^mail\.[^.]+$/.test(k));
  return known.filter((k) => OWN_NAMESPACES.some((ns) => k.startsWith(ns)));
}

/**
 * Warnings for given names Kalisto does not know: every unknown `o365.*`, `kalisto.*`,
 * `websphere.*` or `security.*` name (ignored, with a suggestion when one is close), an unknown
 * `mail.*` name only when it is close to a known one (JavaMail has many properties Kalisto
 * passes through), and a custom protocol whose name is close to a standard one.
 */
export function nearMissWarnings(
  givenNames: Iterable<string>,
  definitions: ReadonlyMap<string, PropertyDefinition>,
  customProtocols: readonly string[],
): ConfigWarning[] {
  const warnings: ConfigWarning[] = [];
  for (const name of givenNames) {
    if (definitions.has(name)) continue;
    const suggestion = suggest(name, candidatesFor(name, definitions));
    const own = OWN_NAMESPACES.some((ns) => name.startsWith(ns));
    if (!own && suggestion === undefined) continue;
    warnings.push({
      property: name,
      message: `Unknown property, ignored${suggestion === undefined ? '.' : `; did you mean ${suggestion}?`}`,
      ...(suggestion !== undefined && { suggestion }),
    });
  }
  for (const protocol of customProtocols) {
    const suggestion = suggest(protocol, MAIL_PROTOCOLS);
    if (suggestion === undefined) continue;
    warnings.push({
      property: `mail.${protocol}.*`,
      message: `"${protocol}" is taken as a custom protocol; did you mean ${suggestion}?`,
      suggestion: `mail.${suggestion}.*`,
    });
  }
  return warnings;
}

/**
 * Reports each required property that is absent; when a given name is a near miss of it
 * (`o365.oauth.clientID`), the issue says so.
 */
export function checkRequired(
  reader: PropertyReader,
  definitions: ReadonlyMap<string, PropertyDefinition>,
  givenNames: readonly string[],
): void {
  for (const row of definitions.values()) {
    if (!row.required || reader.string(row.name) !== undefined) continue;
    const nearMiss = givenNames.find((given) => suggest(given, [row.name]) === row.name);
    const hint = nearMiss === undefined ? '' : ` (found "${nearMiss}": did you mean ${row.name}?)`;
    const what = row.description.replace(/\.$/, '');
    reader.issue(row.name, `a value: ${what.charAt(0).toLowerCase()}${what.slice(1)}${hint}`, false);
  }
}
