import type { PropertyReader } from './property-reader.js';
import { MAIL_PROTOCOLS, type PropertyDefinition } from './property-table.js';
import { suggest } from './suggest.js';
import type { ConfigWarning } from './types.js';

/** Namespaces that belong to Kalisto (and the Java library): an unknown name there is a mistake. */
const OWN_NAMESPACES = ['o365.', 'kalisto.', 'websphere.', 'security.'];
const PROTOCOL_PREFIX = /^mail\.[^.]+\./;
const MAIL_TOP_LEVEL = /^mail\.[^.]+$/;

const isOwn = (name: string): boolean => OWN_NAMESPACES.some((ns) => name.startsWith(ns));

/**
 * The group a name is compared within: its `mail.<protocol>.` prefix, `mail.` for the session-wide
 * JavaMail names, else `own` (Kalisto's namespaces, and names a typo took out of them).
 * Grouping makes every lookup a map access, so checking n names costs O(n), not O(n²).
 */
function groupOf(name: string): string {
  const prefix = PROTOCOL_PREFIX.exec(name)?.[0];
  if (prefix !== undefined) return prefix;
  return MAIL_TOP_LEVEL.test(name) ? 'mail.' : 'own';
}

/** `names` grouped by {@link groupOf}. */
function groupNames(names: Iterable<string>): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const name of names) {
    const group = groupOf(name);
    const members = groups.get(group);
    if (members === undefined) groups.set(group, [name]);
    else members.push(name);
  }
  return groups;
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
  const known = groupNames(definitions.keys());
  const warnings: ConfigWarning[] = [];
  for (const name of givenNames) {
    if (definitions.has(name)) continue;
    const suggestion = suggest(name, known.get(groupOf(name)) ?? []);
    if (!isOwn(name) && suggestion === undefined) continue;
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
 * A function giving, for a missing property, the hint that names what the user probably wrote
 * instead: an unknown given name within two edits of it (`found "o365.oauth.clientSecert": did
 * you mean o365.oauth.clientSecret?`), or, for a custom protocol whose name is a near miss of a
 * standard one, a given name of that protocol with the standard one put in (`found
 * "mail.imasp.host": did you mean mail.imaps.host?`). Empty when there is none.
 */
export function nearMissHints(
  givenNames: readonly string[],
  definitions: ReadonlyMap<string, PropertyDefinition>,
): (missing: string) => string {
  const unknown = groupNames(givenNames.filter((name) => !definitions.has(name)));
  const given = groupNames(givenNames);
  const found = (wrote: string, meant: string) => ` (found "${wrote}": did you mean ${meant}?)`;
  return (missing) => {
    const group = groupOf(missing);
    const protocol = PROTOCOL_PREFIX.exec(missing)?.[0].slice('mail.'.length, -1);
    const standard =
      protocol === undefined || (MAIL_PROTOCOLS as readonly string[]).includes(protocol)
        ? undefined
        : suggest(protocol, MAIL_PROTOCOLS);
    const wrote = standard === undefined ? undefined : given.get(group)?.[0];
    if (standard !== undefined && wrote !== undefined) {
      return found(wrote, `mail.${standard}.${wrote.slice(group.length)}`);
    }
    const nearMiss = unknown.get(group)?.find((name) => suggest(name, [missing]) === missing);
    return nearMiss === undefined ? '' : found(nearMiss, missing);
  };
}

/**
 * Whether `o365.oauth.tenant` is needed: MSAL always names a tenant, and so does a token URL with
 * `%s`. Another provider's fixed endpoint (`o365.oauth.url` without `%s`, e.g. a non-Microsoft
 * OAuth2 server) has no tenant to name.
 */
function tenantNeeded(reader: PropertyReader): boolean {
  const url = reader.string('o365.oauth.url');
  return (
    (reader.string('o365.oauth.provider') ?? 'msal') === 'msal' || url === undefined || url.includes('%s')
  );
}

/**
 * Reports each required property that is absent; when a given name is a near miss of it
 * (`o365.oauth.clientID`), the issue says so.
 */
export function checkRequired(
  reader: PropertyReader,
  definitions: ReadonlyMap<string, PropertyDefinition>,
): void {
  for (const row of definitions.values()) {
    if (!row.required || reader.string(row.name) !== undefined) continue;
    if (row.name === 'o365.oauth.tenant' && !tenantNeeded(reader)) continue;
    const what = row.description.replace(/\.$/, '');
    reader.missing(row.name, `a value: ${what.charAt(0).toLowerCase()}${what.slice(1)}`);
  }
}
