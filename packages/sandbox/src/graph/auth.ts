/**
 * Who calls, and whether they may: the bearer token checked as the mail servers' verifier checks
 * it (our RS256 signature, expiry, `nbf`, revocation, a known tenant) but for Microsoft Graph's
 * audience; then the target mailbox (`/me`, a UPN, an object id), its Graph fixtures, and the
 * permission the operation needs — roles for app-only tokens (scoped by application access
 * policies), `scp` plus FullAccess/SendAs grants for delegated ones.
 */
import { createHash } from 'node:crypto';
import { numberClaim, stringClaim, verifyJwtSignature } from '../identity/jwt.js';
import { GRAPH } from '../identity/scopes.js';
import type { SigningKey } from '../identity/tokens.js';
import type { SandboxApp, SandboxMailboxEntry, SandboxState, SandboxTenant, SandboxUser } from '../state.js';
import { GRAPH_ERRORS } from './errors.js';

/** Clock skew tolerated on `nbf`, seconds (as the mail servers' verifier). */
const NBF_SKEW = 300;

const GRAPH_AUDIENCES: ReadonlySet<string> = new Set(GRAPH.identifiers);

/** What an operation needs: reading, changing the mailbox, or sending from it. */
export type GraphOperation = 'read' | 'write' | 'send';

/** The identity behind a valid Graph token. */
export interface GraphCaller {
  readonly tenant: SandboxTenant;
  /** The app's client id (lower case). */
  readonly appId: string;
  readonly app: SandboxApp | undefined;
  /** The signed-in user (delegated tokens); undefined for app-only tokens. */
  readonly user: SandboxUser | undefined;
  /** `roles` (app-only) or `scp` (delegated), lower case. */
  readonly permissions: ReadonlySet<string>;
}

/** Application permissions each operation accepts (any one). */
const APP_ROLES: Record<GraphOperation, readonly string[]> = {
  read: ['mail.read', 'mail.readwrite'],
  write: ['mail.readwrite'],
  send: ['mail.send'],
};

/** Delegated scopes each operation accepts on the caller's own mailbox, and on another's. */
const USER_SCOPES: Record<GraphOperation, { own: readonly string[]; other: readonly string[] }> = {
  read: {
    own: ['mail.read', 'mail.readwrite', 'mail.read.shared', 'mail.readwrite.shared'],
    other: ['mail.read.shared', 'mail.readwrite.shared'],
  },
  write: { own: ['mail.readwrite', 'mail.readwrite.shared'], other: ['mail.readwrite.shared'] },
  send: { own: ['mail.send', 'mail.send.shared'], other: ['mail.send.shared'] },
};

function words(value: unknown): string[] {
  if (typeof value === 'string') return value.split(/\s+/).filter(Boolean);
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

/** The caller behind an `Authorization` header; throws 401 InvalidAuthenticationToken. */
export function authenticate(
  state: SandboxState,
  key: SigningKey,
  authorization: string | undefined,
): GraphCaller {
  const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
  if (!token) throw GRAPH_ERRORS.tokenMissing();
  const check = verifyJwtSignature(token, key);
  if (!check.ok) {
    throw check.reason === 'not_a_jwt' ? GRAPH_ERRORS.tokenMalformed() : GRAPH_ERRORS.tokenInvalid();
  }
  const claims = check.claims;
  const now = state.nowSeconds();
  const exp = numberClaim(claims, 'exp');
  if (exp === undefined) throw GRAPH_ERRORS.tokenInvalid();
  if (exp <= now) throw GRAPH_ERRORS.tokenExpired();
  if ((numberClaim(claims, 'nbf') ?? 0) > now + NBF_SKEW) throw GRAPH_ERRORS.tokenInvalid();
  const jti = stringClaim(claims, 'jti') ?? stringClaim(claims, 'uti') ?? '';
  if (jti && state.isTokenRevoked(jti)) throw GRAPH_ERRORS.tokenRevoked();
  const aud = (stringClaim(claims, 'aud') ?? '').toLowerCase().replace(/\/+$/, '');
  if (!GRAPH_AUDIENCES.has(aud)) throw GRAPH_ERRORS.tokenBadAudience();
  const tenant = state.tenants.get((stringClaim(claims, 'tid') ?? '').toLowerCase());
  if (!tenant) throw GRAPH_ERRORS.tokenInvalid();

  const appId = (stringClaim(claims, 'appid') ?? stringClaim(claims, 'azp') ?? '').toLowerCase();
  const upn = (stringClaim(claims, 'upn') ?? stringClaim(claims, 'preferred_username') ?? '').toLowerCase();
  const isApp = stringClaim(claims, 'idtyp') === 'app' || !upn;
  const granted = isApp ? words(claims.roles) : words(claims.scp);
  if (granted.length === 0) throw GRAPH_ERRORS.tokenNoPermissions();
  const user = isApp ? undefined : tenant.users.get(upn);
  if (!isApp && !user) throw GRAPH_ERRORS.tokenInvalid();
  return {
    tenant,
    appId,
    app: tenant.apps.get(appId),
    user,
    permissions: new Set(granted.map((p) => p.toLowerCase())),
  };
}

/** A stable object id for a shared mailbox (users have theirs from the directory). */
export function mailboxObjectId(mailbox: SandboxMailboxEntry): string {
  if (mailbox.owner) return mailbox.owner.objectId;
  const h = createHash('sha256').update(`kalisto-sandbox-mailbox:${mailbox.address}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * The mailbox a `users/{id}` segment (or `me`) names, in the caller's tenant: 404 ErrorInvalidUser
 * when there is none, 404 MailboxNotEnabledForRESTAPI for a user without an Exchange Online
 * mailbox or a REST-disabled fixture mailbox.
 */
export function resolveMailbox(caller: GraphCaller, segment: string | 'me'): SandboxMailboxEntry {
  const { tenant } = caller;
  if (segment === 'me') {
    if (!caller.user) throw GRAPH_ERRORS.meNeedsUser();
    return checkEnabled(tenant, tenant.mailboxes.get(caller.user.upn));
  }
  const key = segment.toLowerCase();
  const byAddress = tenant.mailboxes.get(key);
  if (byAddress) return checkEnabled(tenant, byAddress);
  const user =
    tenant.users.get(key) ?? [...tenant.users.values()].find((candidate) => candidate.objectId === key);
  if (user) return checkEnabled(tenant, tenant.mailboxes.get(user.upn));
  const shared = [...tenant.mailboxes.values()].find((m) => !m.owner && mailboxObjectId(m) === key);
  if (shared) return checkEnabled(tenant, shared);
  throw GRAPH_ERRORS.invalidUser(segment);
}

function checkEnabled(tenant: SandboxTenant, mailbox: SandboxMailboxEntry | undefined): SandboxMailboxEntry {
  if (!mailbox || tenant.graph.restApiDisabled.has(mailbox.address)) throw GRAPH_ERRORS.mailboxNotEnabled();
  return mailbox;
}

function hasAny(granted: ReadonlySet<string>, wanted: readonly string[]): boolean {
  return wanted.some((w) => granted.has(w));
}

/** True when an application access policy keeps `appId` away from `mailbox`. */
function blockedByPolicy(tenant: SandboxTenant, appId: string, mailbox: string): boolean {
  const policies = tenant.graph.accessPolicies.filter((p) => p.appId === appId);
  if (policies.some((p) => p.accessRight === 'DenyAccess' && p.mailboxes.has(mailbox))) return true;
  const restrictions = policies.filter((p) => p.accessRight === 'RestrictAccess');
  return restrictions.length > 0 && !restrictions.some((p) => p.mailboxes.has(mailbox));
}

/**
 * Throws 403 ErrorAccessDenied unless the caller may do `operation` on `mailbox`. Sending from
 * another user's mailbox needs Mail.Send.Shared and SendAs on it (else 403 ErrorSendAsDenied).
 */
export function authorize(
  state: SandboxState,
  caller: GraphCaller,
  mailbox: SandboxMailboxEntry,
  operation: GraphOperation,
): void {
  if (!caller.user) {
    if (!hasAny(caller.permissions, APP_ROLES[operation])) throw GRAPH_ERRORS.accessDenied();
    if (blockedByPolicy(caller.tenant, caller.appId, mailbox.address))
      throw GRAPH_ERRORS.accessPolicyDenied();
    return;
  }
  const own = mailbox.owner === caller.user;
  const scopes = USER_SCOPES[operation];
  if (!hasAny(caller.permissions, own ? scopes.own : scopes.other)) throw GRAPH_ERRORS.accessDenied();
  if (own) return;
  if (operation === 'send') {
    const grants = state.sendAsGrants(mailbox.tenant, [caller.user.upn]);
    if (!grants.includes(mailbox.address)) throw GRAPH_ERRORS.sendAsDenied();
    return;
  }
  if (!state.hasFullAccess(mailbox, [caller.user.upn])) throw GRAPH_ERRORS.accessDenied();
}

/**
 * May a message leave `mailbox` with `from` in its From header? The mailbox's own address always;
 * another address when the mailbox, the signed-in user or the app holds SendAs on it.
 */
export function sendAsAllowed(
  state: SandboxState,
  caller: GraphCaller,
  mailbox: SandboxMailboxEntry,
  from: string,
): boolean {
  const address = from.toLowerCase();
  if (address === mailbox.address) return true;
  const trustees = [mailbox.address, caller.appId, ...(caller.user ? [caller.user.upn] : [])];
  return state.sendAsGrants(mailbox.tenant, trustees).includes(address);
}
