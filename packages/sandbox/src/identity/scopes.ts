/**
 * The resources the sandbox's identity platform issues tokens for, and how a `scope` parameter
 * becomes a token's `scp` or `roles`, with Microsoft's errors for scopes it would refuse.
 */
import type { SandboxApp } from '../state.js';
import { AadstsError } from './aadsts.js';

/** The APIs the sandbox issues tokens for. */
export type ResourceName = 'exchange' | 'graph';

/** An API (resource) as it appears in scopes and audiences. */
export interface Resource {
  readonly name: ResourceName;
  /** Identifier URIs and the app id accepted in scopes, lower case, no trailing slash. */
  readonly identifiers: readonly string[];
  /** The `aud` of tokens when the scope used the app id instead of a URI. */
  readonly defaultAudience: string;
  /** Delegated permissions that exist on the resource (canonical spelling); undefined = any. */
  readonly delegated: readonly string[] | undefined;
}

/** Office 365 Exchange Online (app id 00000002-0000-0ff1-ce00-000000000000). */
export const EXCHANGE: Resource = {
  name: 'exchange',
  identifiers: [
    'https://outlook.office.com',
    'https://outlook.office365.com',
    '00000002-0000-0ff1-ce00-000000000000',
  ],
  defaultAudience: 'https://outlook.office.com',
  delegated: [
    'IMAP.AccessAsUser.All',
    'POP.AccessAsUser.All',
    'SMTP.Send',
    'EWS.AccessAsUser.All',
    'Mail.Read',
    'Mail.ReadWrite',
    'Mail.Send',
    'User.Read',
  ],
};

/** Microsoft Graph (app id 00000003-0000-0000-c000-000000000000); also the resource of bare scope names. */
export const GRAPH: Resource = {
  name: 'graph',
  identifiers: ['https://graph.microsoft.com', '00000003-0000-0000-c000-000000000000'],
  defaultAudience: 'https://graph.microsoft.com',
  delegated: undefined,
};

const RESOURCES = [EXCHANGE, GRAPH];

/** Audiences a mail server accepts: Exchange Online's identifiers. */
export const EXCHANGE_AUDIENCES: ReadonlySet<string> = new Set(EXCHANGE.identifiers);

/** OpenID Connect scopes MSAL adds to every delegated request. */
export const OIDC_SCOPES: ReadonlySet<string> = new Set(['openid', 'profile', 'offline_access', 'email']);

/** A parsed `scope` parameter: one resource, its permissions, and OIDC scopes. */
export interface ScopeRequest {
  resource: Resource;
  /** The `aud` of the token to issue. */
  audience: string;
  /** The identifier as written in the request (for the response's `scope`). */
  identifier: string;
  /** `<resource>/.default` was asked for. */
  isDefault: boolean;
  /** Permission names as written (empty for `.default`). */
  permissions: string[];
  /** OIDC scopes asked for (openid, profile, offline_access, email). */
  oidc: Set<string>;
}

/** Splits a `scope` parameter into one resource's permissions plus OIDC scopes. */
export function parseScopes(scope: string, tenantDomain: string): ScopeRequest {
  const items = scope.split(/\s+/).filter(Boolean);
  const oidc = new Set<string>();
  let found: { resource: Resource; identifier: string } | undefined;
  const permissions: string[] = [];
  for (const item of items) {
    if (OIDC_SCOPES.has(item.toLowerCase())) {
      oidc.add(item.toLowerCase());
      continue;
    }
    const slash = item.lastIndexOf('/');
    const identifier = slash < 0 ? GRAPH.identifiers[0] : item.slice(0, slash).replace(/\/+$/, '');
    const permission = slash < 0 ? item : item.slice(slash + 1);
    const resource = RESOURCES.find((r) => r.identifiers.includes((identifier ?? '').toLowerCase()));
    if (!resource) throw new AadstsError(500011, [identifier ?? item, tenantDomain]);
    if (found && found.resource !== resource) throw new AadstsError(70011, [`'${scope}'`]);
    found = { resource, identifier: identifier ?? '' };
    if (!permission) throw new AadstsError(70011, [`'${item}'`]);
    permissions.push(permission);
  }
  if (!found) throw new AadstsError(70011, [`'${scope}'`]);
  const isDefault = permissions.some((p) => p === '.default');
  if (isDefault && permissions.length > 1) throw new AadstsError(70011, [`'${scope}'`]);
  const audience = found.identifier.startsWith('https://')
    ? found.identifier
    : found.resource.defaultAudience;
  return {
    resource: found.resource,
    audience,
    identifier: found.identifier,
    isDefault,
    permissions: isDefault ? [] : permissions,
    oidc,
  };
}

function consented(
  app: SandboxApp,
  resource: Resource,
  kind: 'Delegated' | 'Application',
): Map<string, string> {
  return app.permissions[`${resource.name}${kind}`];
}

function canonical(resource: Resource, name: string): string {
  return resource.delegated?.find((d) => d.toLowerCase() === name.toLowerCase()) ?? name;
}

/**
 * The delegated permissions (`scp`) a user token gets: `.default` = everything consented;
 * explicit names must exist on the resource (AADSTS70011) and be consented (AADSTS65001) — by an
 * administrator, or by this user on the interactive sign-in's consent page (`userConsented`).
 */
export function grantDelegated(app: SandboxApp, request: ScopeRequest, userConsented = false): string[] {
  const granted = consented(app, request.resource, 'Delegated');
  const consentError = () => new AadstsError(65001, [app.clientId, app.displayName]);
  if (!app.adminConsent && !userConsented) throw consentError();
  if (request.isDefault) {
    if (granted.size === 0) throw consentError();
    return [...granted.values()].map((g) => canonical(request.resource, g));
  }
  for (const p of request.permissions) {
    const known = request.resource.delegated;
    if (known && !known.some((k) => k.toLowerCase() === p.toLowerCase())) {
      throw new AadstsError(70011, [`'${request.identifier}/${p}'`]);
    }
    if (!granted.has(p.toLowerCase())) throw consentError();
  }
  return request.permissions.map((p) => canonical(request.resource, p));
}

/** The application permissions (`roles`) of an app-only token; none without admin consent, as in Entra ID. */
export function grantApplication(app: SandboxApp, request: ScopeRequest, rawScope: string): string[] {
  if (!request.isDefault || request.oidc.size > 0) throw new AadstsError(1002012, [`'${rawScope}'`]);
  if (!app.adminConsent) return [];
  return [...consented(app, request.resource, 'Application').values()];
}

/** The `scope` value of a token response: full permission URIs plus the OIDC scopes asked for. */
export function responseScope(request: ScopeRequest, scp: readonly string[]): string {
  const prefix = request.identifier.startsWith('https://')
    ? request.identifier
    : request.resource.defaultAudience;
  return [...scp.map((s) => `${prefix}/${s}`), ...request.oidc].join(' ');
}
