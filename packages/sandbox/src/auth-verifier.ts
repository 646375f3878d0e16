/**
 * Decides, as Exchange Online does, whether a bearer token opens a mailbox over IMAP, POP3 or
 * SMTP: our signature, Exchange's audience, a known tenant, validity, revocation, the protocol's
 * permission, then mailbox access (own mailbox or FullAccess for users; a registered service
 * principal plus FullAccess for apps) and, for SMTP, the mailbox's SMTP AUTH switch.
 */
import type {
  MailAuthFailure,
  MailAuthRequest,
  MailAuthResult,
  MailAuthVerifier,
  SandboxMailProtocol,
} from './contracts.js';
import { numberClaim, stringClaim, verifyJwtSignature } from './identity/jwt.js';
import { EXCHANGE_AUDIENCES } from './identity/scopes.js';
import type { SigningKey } from './identity/tokens.js';
import { PROTOCOL_PERMISSIONS } from './options.js';
import type { SandboxMailboxEntry, SandboxState } from './state.js';

/** Clock skew tolerated on `nbf`, seconds (Exchange allows about five minutes). */
const NBF_SKEW = 300;

const GRAPH_AUDIENCES = new Set(['https://graph.microsoft.com', '00000003-0000-0000-c000-000000000000']);

function refuse(reason: MailAuthFailure, detail: string): MailAuthResult {
  return { ok: false, reason, detail };
}

function words(value: unknown): string[] {
  if (typeof value === 'string') return value.split(/\s+/).filter(Boolean);
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

function hasPermission(granted: readonly string[], wanted: string): boolean {
  return granted.some((g) => g.toLowerCase() === wanted.toLowerCase());
}

/** The verifier the sandbox's mail servers use; shares revocation state with the identity server. */
export function createAuthVerifier(state: SandboxState, key: SigningKey): MailAuthVerifier {
  const checkPermission = (protocol: SandboxMailProtocol, scp: string[], roles: string[], isApp: boolean) => {
    const needed = PROTOCOL_PERMISSIONS[protocol];
    if (isApp) {
      return hasPermission(roles, needed.application)
        ? undefined
        : refuse(
            'missing_permission',
            `The app-only token has no ${needed.application} role (roles: ${roles.join(' ') || 'none'}).`,
          );
    }
    return hasPermission(scp, needed.delegated)
      ? undefined
      : refuse(
          'missing_permission',
          `The delegated token has no ${needed.delegated} scope (scp: ${scp.join(' ') || 'none'}).`,
        );
  };

  const verify = (request: MailAuthRequest): MailAuthResult => {
    const check = verifyJwtSignature(request.token, key);
    if (!check.ok) return refuse('invalid_token', `The token is not a sandbox-signed JWT (${check.reason}).`);
    const claims = check.claims;
    const now = state.nowSeconds();
    const exp = numberClaim(claims, 'exp');
    const nbf = numberClaim(claims, 'nbf') ?? 0;
    const jti = stringClaim(claims, 'jti') ?? stringClaim(claims, 'uti') ?? '';
    if (exp === undefined) return refuse('invalid_token', 'The token has no exp claim.');
    if (exp <= now) return refuse('expired', `The token expired at ${new Date(exp * 1000).toISOString()}.`);
    if (nbf > now + NBF_SKEW) return refuse('invalid_token', 'The token is not valid yet (nbf).');
    if (jti && state.isTokenRevoked(jti)) return refuse('revoked', 'The token was revoked.');

    const aud = stringClaim(claims, 'aud') ?? '';
    if (!EXCHANGE_AUDIENCES.has(aud.toLowerCase().replace(/\/+$/, ''))) {
      const graph = GRAPH_AUDIENCES.has(aud.toLowerCase().replace(/\/+$/, ''));
      return refuse(
        'wrong_audience',
        graph
          ? `The token is for Microsoft Graph (aud ${aud}); mail protocols need an Exchange Online token (https://outlook.office.com or https://outlook.office365.com).`
          : `The token's audience ${aud || '(none)'} is not Exchange Online.`,
      );
    }
    const tid = stringClaim(claims, 'tid') ?? '';
    const tenant = state.tenants.get(tid.toLowerCase());
    if (!tenant)
      return refuse('wrong_tenant', `The token's tenant ${tid || '(none)'} is not a tenant of this sandbox.`);

    const appId = stringClaim(claims, 'appid') ?? stringClaim(claims, 'azp') ?? '';
    const upn = (stringClaim(claims, 'upn') ?? stringClaim(claims, 'preferred_username') ?? '').toLowerCase();
    const isApp = stringClaim(claims, 'idtyp') === 'app' || !upn;
    const denied = checkPermission(request.protocol, words(claims.scp), words(claims.roles), isApp);
    if (denied) return denied;

    const address = (request.user || (isApp ? '' : upn)).toLowerCase();
    const mailbox: SandboxMailboxEntry | undefined = state.findMailbox(address);
    if (!mailbox)
      return refuse('unknown_mailbox', `There is no mailbox ${address || '(none given)'} in the sandbox.`);
    if (mailbox.tenant !== tenant) {
      return refuse(
        'wrong_tenant',
        `The mailbox ${address} belongs to tenant ${mailbox.tenant.id}, the token to ${tenant.id}.`,
      );
    }

    let principal: string;
    let trustees: string[];
    if (isApp) {
      const app = tenant.apps.get(appId.toLowerCase());
      const oid = (stringClaim(claims, 'oid') ?? '').toLowerCase();
      principal = `app:${appId.toLowerCase()}`;
      trustees = [appId, oid];
      if (!app?.exchangeServicePrincipalId || app.exchangeServicePrincipalId !== oid) {
        return refuse(
          'no_mailbox_access',
          `No Exchange service principal for the token's object id ${oid} (run New-ServicePrincipal with the enterprise application's object id).`,
        );
      }
      if (!state.hasFullAccess(mailbox, trustees)) {
        return refuse(
          'no_mailbox_access',
          `App ${appId} has no FullAccess on ${address} (Add-MailboxPermission).`,
        );
      }
    } else {
      principal = upn;
      trustees = [upn];
      const user = tenant.users.get(upn);
      if (!user)
        return refuse('invalid_token', `The token's user ${upn} does not exist in tenant ${tenant.id}.`);
      if (mailbox.owner !== user && !state.hasFullAccess(mailbox, trustees)) {
        return refuse('no_mailbox_access', `${upn} has no access to the mailbox ${address}.`);
      }
    }

    if (request.protocol === 'smtp' && mailbox.smtpAuthDisabled) {
      return refuse(
        'smtp_auth_disabled',
        `SMTP AUTH is disabled for ${address} (SmtpClientAuthenticationDisabled).`,
      );
    }

    const sendAs = new Set(state.sendAsGrants(tenant, trustees));
    if (isApp || mailbox.owner?.upn === principal) sendAs.add(mailbox.address);
    if (!isApp && tenant.mailboxes.has(upn)) sendAs.add(upn);
    return {
      ok: true,
      mailbox: mailbox.address,
      principal,
      sendAs: [...sendAs],
      expiresAt: exp * 1000,
      tokenId: jti,
    };
  };

  return { verify, isRevoked: (tokenId: string) => state.isTokenRevoked(tokenId) };
}
