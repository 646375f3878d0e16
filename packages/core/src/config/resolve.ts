import { ConfigError } from '../errors/errors.js';
import { propertiesFromEnvironment } from './environment.js';
import { type ConfigInput, inputToProperties } from './input.js';
import { applyDerivedDefaults, layerProperties } from './layers.js';
import { checkRequired, nearMissHints, nearMissWarnings } from './near-misses.js';
import { buildOAuthSettings } from './oauth-settings.js';
import { PropertyReader } from './property-reader.js';
import { GRAPH_PROTOCOL, MAIL_PROTOCOLS } from './property-table.js';
import {
  buildGraphSettings,
  buildProtocolSettings,
  defaultProtocol,
  propertiesByProtocol,
} from './protocol-settings.js';
import { deepFreeze, isSecretProperty, redactingPropertyMap } from './redaction.js';
import type { SecretDecoder } from './secret-decoders.js';
import { decodeSecrets } from './secrets.js';
import { readTlsCa } from './tls-ca.js';
import type { ConfigSource, ProtocolSettings, ResolvedConfig } from './types.js';
import { checkValues } from './values.js';

export interface ResolveConfigOptions {
  /**
   * Environment variables to read (e.g. `process.env`); none are read unless this is given.
   * `O365_OAUTH_CLIENTID` sets `o365.oauth.clientId`, `MAIL_IMAP_HOST` sets `mail.imap.host`:
   * a variable matches a known property whose name, dots as underscores, equals it ignoring case.
   * It is also where `env:NAME` secret references are looked up (else `process.env`).
   */
  env?: Readonly<Record<string, string | undefined>>;
  /** Secret decoders selectable by `security.encoder.class`, besides `plain` and WebSphere's `{xor}`. */
  secretDecoders?: readonly SecretDecoder[];
}

function cacheName(reader: PropertyReader): string | undefined {
  const websphere = reader.string('websphere.cache');
  const kalisto = reader.string('kalisto.cache');
  if (websphere !== undefined && kalisto !== undefined && websphere !== kalisto) {
    reader.issue('kalisto.cache', `the same name as websphere.cache ("${websphere}"): they are one setting`);
  }
  return kalisto ?? websphere;
}

/**
 * Resolves a configuration: `.properties` text, a property map, or typed {@link KalistoConfigOptions}.
 *
 * Every property takes the first value found in: the input, then `options.env` (only when given),
 * then the cloud preset (only when `o365.cloud` is given), then the property table's default.
 * Secrets (`o365.password`, `o365.oauth.clientSecret`, `o365.oauth.certificate.privateKey`) are
 * dereferenced (`env:NAME`, `file:PATH`), decoded by `security.encoder.class`, and returned as
 * `Secret`s; `properties` keeps them as given, and prints and serialises them as `***`.
 *
 * The flow is `o365.oauth.flow`, else `password` when `o365.password` is set (the Java library's
 * behaviour), else `client_credentials`. Unknown names in Kalisto's namespaces and near misses
 * become `warnings`, not errors, so that a pasted WebSphere configuration never fails on them.
 *
 * @throws ConfigError naming every bad or missing property at once (secrets shown as `***`).
 * @returns a deep-frozen configuration.
 */
export function resolveConfig(input: ConfigInput, options: ResolveConfigOptions = {}): ResolvedConfig {
  const { properties: given, issues: inputIssues } = inputToProperties(input);
  const environment =
    options.env === undefined ? new Map<string, string>() : propertiesFromEnvironment(options.env);
  const layers = layerProperties(given, environment);
  applyDerivedDefaults(layers);

  const givenNames = [...given.keys(), ...environment.keys()];
  const hints = nearMissHints(givenNames, layers.definitions);
  const reader = new PropertyReader(layers.entries, layers.definitions, hints);
  reader.issues.push(...inputIssues);
  reader.validateKinds();
  checkValues(reader, layers.definitions);
  checkRequired(reader, layers.definitions);

  const referenceEnv = options.env ?? process.env;
  const secrets = decodeSecrets(reader, options.secretDecoders ?? [], referenceEnv);
  const oauth = buildOAuthSettings(reader, secrets, layers.cloud);
  const allowInsecureAuth = reader.boolean('kalisto.auth.allowInsecure') ?? false;
  const names = [...layers.entries.keys()].sort();
  const byProtocol = propertiesByProtocol(names, layers.entries);
  // Null prototypes: names come from the input, and `__proto__` must stay an ordinary key.
  const protocols: Record<string, ProtocolSettings> = Object.create(null);
  for (const protocol of [...MAIL_PROTOCOLS, ...layers.customProtocols]) {
    const properties = byProtocol.get(protocol) ?? [];
    protocols[protocol] = buildProtocolSettings(reader, protocol, oauth.user, allowInsecureAuth, properties);
  }
  protocols[GRAPH_PROTOCOL] = buildGraphSettings(reader, oauth.user, byProtocol.get(GRAPH_PROTOCOL) ?? []);
  const storeProtocol = defaultProtocol(reader, 'store', layers.customProtocols);
  const transportProtocol = defaultProtocol(reader, 'transport', layers.customProtocols);
  const cache = cacheName(reader);
  const ca = readTlsCa(reader, referenceEnv);

  if (reader.issues.length > 0) {
    // Any secret's text, decoded or as given, is kept out of the values the error shows.
    const givenSecrets = givenNames.filter(isSecretProperty).map((name) => layers.entries.get(name)?.value);
    throw new ConfigError(reader.issues, { secrets: [...givenSecrets, ...secrets.values()] });
  }

  const sources: Record<string, ConfigSource> = Object.create(null);
  for (const name of names) sources[name] = layers.entries.get(name)!.source;
  return deepFreeze({
    properties: redactingPropertyMap(names.map((name) => [name, layers.entries.get(name)!.value] as const)),
    sources,
    oauth,
    cacheName: cache,
    storeProtocol,
    transportProtocol,
    protocols,
    tlsCa: ca,
    allowInsecureAuth,
    debug: reader.boolean('mail.debug') ?? false,
    warnings: [
      ...nearMissWarnings(given.keys(), layers.definitions, layers.customProtocols),
      ...reader.warnings,
    ],
  });
}
