import { PROPERTY_TABLE } from './property-table.js';

/** `o365.oauth.clientId` → `O365_OAUTH_CLIENTID`. */
export function environmentName(property: string): string {
  return property.replace(/\./g, '_').toUpperCase();
}

const PROPERTY_BY_ENV_NAME: ReadonlyMap<string, string> = new Map(
  PROPERTY_TABLE.map((row) => [environmentName(row.name), row.name]),
);

/** Conventional proxy variables, used for `kalisto.oauth.proxy` when it is not set otherwise. */
const PROXY_VARIABLES = ['HTTPS_PROXY', 'ALL_PROXY'];

/**
 * The known properties set in an environment: a variable matches a property whose name, with dots
 * as underscores, equals the variable's name case-insensitively (`O365_OAUTH_CLIENTID`,
 * `mail_imap_host`). Unknown variables and empty values are ignored. `HTTPS_PROXY` (or
 * `ALL_PROXY`) stands for `kalisto.oauth.proxy` when `KALISTO_OAUTH_PROXY` is absent.
 */
export function propertiesFromEnvironment(
  env: Readonly<Record<string, string | undefined>>,
): Map<string, string> {
  const out = new Map<string, string>();
  const proxies = new Map<string, string>();
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value === '') continue;
    const upper = name.toUpperCase();
    const property = PROPERTY_BY_ENV_NAME.get(upper);
    if (property !== undefined) out.set(property, value);
    else if (PROXY_VARIABLES.includes(upper)) proxies.set(upper, value);
  }
  const proxy = PROXY_VARIABLES.map((name) => proxies.get(name)).find((value) => value !== undefined);
  if (proxy !== undefined && !out.has('kalisto.oauth.proxy')) out.set('kalisto.oauth.proxy', proxy);
  return out;
}
