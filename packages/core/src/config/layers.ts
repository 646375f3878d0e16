import { cloudProperties, defaultGraphScope, defaultScope } from './clouds.js';
import type { PropertyEntry } from './property-reader.js';
import {
  APP_ONLY_FLOWS,
  CLOUD_NAMES,
  KNOWN_PROTOCOLS,
  PROPERTY_TABLE,
  type PropertyDefinition,
  protocolProperties,
} from './property-table.js';
import type { CloudName } from './types.js';

/** `mail.<name>.*` namespaces of JavaMail that are not protocols. */
const NON_PROTOCOL_NAMESPACES = new Set(['store', 'transport', 'mime', 'event']);

/** The protocols named by `mail.<name>.<property>` keys other than the known ones (six, and graph). */
export function customProtocolNames(names: Iterable<string>): string[] {
  const found = new Set<string>();
  for (const name of names) {
    const protocol = /^mail\.([^.]+)\../.exec(name)?.[1];
    if (
      protocol !== undefined &&
      !(KNOWN_PROTOCOLS as readonly string[]).includes(protocol) &&
      !NON_PROTOCOL_NAMESPACES.has(protocol)
    ) {
      found.add(protocol);
    }
  }
  return [...found].sort();
}

/** The layered property map before validation. */
export interface Layers {
  readonly entries: Map<string, PropertyEntry>;
  /** The table's rows plus the rows of each custom protocol. */
  readonly definitions: ReadonlyMap<string, PropertyDefinition>;
  readonly customProtocols: readonly string[];
  /** The cloud whose preset applies (`global` when none is given or the name is unknown). */
  readonly cloud: CloudName;
  /** Whether `o365.cloud` was given (input or environment), i.e. whether the cloud layer applies. */
  readonly cloudGiven: boolean;
}

const isCloudName = (value: string | undefined): value is CloudName =>
  (CLOUD_NAMES as readonly (string | undefined)[]).includes(value);

/**
 * Stacks the layers, lowest first: table defaults, the cloud preset (only when `o365.cloud` is
 * given), the environment, the input.
 */
export function layerProperties(
  given: ReadonlyMap<string, string>,
  environment: ReadonlyMap<string, string>,
): Layers {
  const customProtocols = customProtocolNames(given.keys());
  const definitions = new Map<string, PropertyDefinition>(PROPERTY_TABLE.map((row) => [row.name, row]));
  for (const protocol of customProtocols) {
    for (const row of protocolProperties(protocol)) definitions.set(row.name, row);
  }

  const entries = new Map<string, PropertyEntry>();
  for (const row of definitions.values()) {
    if (row.default !== undefined) entries.set(row.name, { value: row.default, source: 'default' });
  }
  const cloudName = (given.get('o365.cloud') ?? environment.get('o365.cloud'))?.trim();
  const cloudGiven = isCloudName(cloudName);
  if (cloudGiven) {
    for (const [name, value] of Object.entries(cloudProperties(cloudName))) {
      entries.set(name, { value, source: 'cloud' });
    }
  }
  for (const [name, value] of environment) entries.set(name, { value, source: 'environment' });
  for (const [name, value] of given) entries.set(name, { value, source: 'input' });
  return { entries, definitions, customProtocols, cloud: cloudGiven ? cloudName : 'global', cloudGiven };
}

const isGiven = (entry: PropertyEntry | undefined): boolean =>
  entry?.source === 'input' || entry?.source === 'environment';

function tokenUrlOrigin(template: string): string | undefined {
  const candidate = template.replaceAll('%s', 'tenant');
  return URL.canParse(candidate) ? new URL(candidate).origin : undefined;
}

/**
 * Fills in the defaults that depend on other properties, where the property was not given:
 * the authority from the token URL's origin, the token URL from the authority, the flow from the
 * presence of a password, the scopes (Outlook's and Graph's) from the flow and cloud, and `starttls.required` from
 * `kalisto.auth.allowInsecure`. A computed value's source is `cloud` when the cloud preset
 * supplied what it was computed from, else `default`.
 */
export function applyDerivedDefaults(layers: Layers): void {
  const { entries } = layers;
  const url = entries.get('o365.oauth.url');
  if (url !== undefined && isGiven(url) && !isGiven(entries.get('o365.oauth.authority'))) {
    const origin = tokenUrlOrigin(url.value.trim());
    if (origin !== undefined) entries.set('o365.oauth.authority', { value: origin, source: 'default' });
  }
  const authority = entries.get('o365.oauth.authority')!;
  if (!isGiven(url)) {
    entries.set('o365.oauth.url', {
      value: `${authority.value.trim().replace(/\/+$/, '')}/%s/oauth2/v2.0/token`,
      source: authority.source === 'cloud' ? 'cloud' : 'default',
    });
  }

  if (!entries.has('o365.oauth.flow')) {
    const hasPassword = (entries.get('o365.password')?.value ?? '') !== '';
    entries.set('o365.oauth.flow', {
      value: hasPassword ? 'password' : 'client_credentials',
      source: 'default',
    });
  }
  const appOnly = APP_ONLY_FLOWS.has(entries.get('o365.oauth.flow')!.value.trim());
  const scopeSource = layers.cloudGiven ? 'cloud' : 'default';
  if (entries.get('o365.oauth.scope')?.source === 'default') {
    entries.set('o365.oauth.scope', { value: defaultScope(layers.cloud, appOnly), source: scopeSource });
  }
  if (entries.get('mail.graph.scope')?.source === 'default') {
    entries.set('mail.graph.scope', { value: defaultGraphScope(layers.cloud, appOnly), source: scopeSource });
  }

  const allowInsecure = entries.get('kalisto.auth.allowInsecure')?.value.trim().toLowerCase() === 'true';
  for (const [name, entry] of entries) {
    if (name.endsWith('.starttls.required') && entry.source === 'default') {
      entries.set(name, { value: String(!allowInsecure), source: 'default' });
    }
  }
}
