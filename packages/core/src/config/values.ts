import { isIP } from 'node:net';
import type { PropertyReader } from './property-reader.js';
import type { PropertyDefinition } from './property-table.js';

/** C0 controls, DEL and C1 controls: never part of a name, an address or a URL. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** The same, without the whitespace that separates the items of a list. */
const CONTROL_IN_LIST = /[\u0000-\u0008\u000e-\u001f\u007f-\u009f]/;
/** Properties whose value is a host name: the server, its proxy, and the name given in EHLO. */
const HOST_PROPERTY = /^mail\.[^.]+\.(?:host|proxy\.host|localhost)$/;
/** One label of a DNS name (underscores allowed: some internal names have them). */
const HOST_LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;
/** Text that spans lines by nature (PEM), checked by its own parser. */
const MULTI_LINE = new Set(['kalisto.tls.ca']);

/** A DNS name (one trailing dot allowed) or an IPv4/IPv6 address. */
export function isHostName(text: string): boolean {
  if (isIP(text) !== 0) return true;
  const name = text.endsWith('.') ? text.slice(0, -1) : text;
  return name.length > 0 && name.length <= 253 && name.split('.').every((label) => HOST_LABEL.test(label));
}

/** A given empty value of a property that has a default: `mail.imaps.host=` must not mean "localhost". */
function checkEmpty(reader: PropertyReader, row: PropertyDefinition): void {
  const fallback = row.default ?? row.derivedDefault;
  // Without a default, empty means absent (required rows are reported as missing); an empty list
  // is reported by the list's own check.
  if (fallback === undefined || row.kind === 'list') return;
  reader.issue(row.name, `a value: it is given empty (remove the property to use the default (${fallback}))`);
}

/**
 * Checks what the kinds do not: no known property given with an empty value that would replace
 * its default; host names that are host names; no control characters in any text value (they
 * would reach a server, a log or a terminal). Secrets are checked where they are decoded.
 */
export function checkValues(
  reader: PropertyReader,
  definitions: ReadonlyMap<string, PropertyDefinition>,
): void {
  for (const [name, entry] of reader.entries) {
    const row = definitions.get(name);
    if (row === undefined || row.kind === 'secret') continue;
    const text = entry.value.trim();
    if (text === '') {
      if (reader.isGiven(name)) checkEmpty(reader, row);
    } else if (HOST_PROPERTY.test(name)) {
      if (!isHostName(text)) {
        reader.issue(
          name,
          'a host name or IP address: letters, digits, "-", "_" and "." only, no spaces or line breaks',
        );
      }
    } else if (row.kind === 'string' || row.kind === 'url' || row.kind === 'list') {
      const control = row.kind === 'list' ? CONTROL_IN_LIST : CONTROL;
      if (!MULTI_LINE.has(name) && control.test(text)) {
        reader.issue(name, 'a value with no control characters (line breaks, tabs, escape sequences)');
      }
    }
  }
}
