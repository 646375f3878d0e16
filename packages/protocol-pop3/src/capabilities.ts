/** CAPA (RFC 2449): the capability list, and the SASL mechanism to use from it. */
import type { SaslMechanism } from '@kalisto/core/plugin';

/** Capability name (upper case) → its arguments, e.g. `SASL` → `['XOAUTH2']`. */
export type Pop3Capabilities = ReadonlyMap<string, readonly string[]>;

/** Parses a CAPA body: one capability per line, arguments separated by spaces. */
export function parseCapabilities(body: string): Pop3Capabilities {
  const capabilities = new Map<string, readonly string[]>();
  for (const line of body.split(/\r?\n/)) {
    const [name, ...args] = line.trim().split(/\s+/);
    if (name) capabilities.set(name.toUpperCase(), args);
  }
  return capabilities;
}

/**
 * The first preferred mechanism the server offers. A server that lists no SASL capability (or did
 * not answer CAPA) is tried with the first preference.
 */
export function chooseMechanism(
  preferences: readonly SaslMechanism[],
  capabilities: Pop3Capabilities,
): SaslMechanism | undefined {
  const offered = capabilities.get('SASL');
  if (offered === undefined) return preferences[0];
  const upper = offered.map((m) => m.toUpperCase());
  return preferences.find((m) => upper.includes(m));
}
