/**
 * Reads an access token's claims (without verifying the signature: we are not the audience) to
 * explain why a mail server refused it — the wrong resource, a missing permission, another user.
 */
import type { CloudName } from '../config/types.js';

/** The parts of an access token's (unverified) payload that explain a refusal. */
export interface TokenClaimsSummary {
  aud?: string;
  tid?: string;
  /** upn, else preferred_username, else unique_name. */
  user?: string;
  appId?: string;
  /** Delegated permissions (`scp`, split on spaces). */
  scp: readonly string[];
  /** Application permissions (`roles`). */
  roles: readonly string[];
  /** Expiry, epoch ms. */
  expiresAt?: number;
  /** The `idtyp` claim when present: `app` for app-only tokens, `user` for delegated ones. */
  idType?: string;
}

export type ClaimsFindingCode =
  | 'GRAPH_AUDIENCE'
  | 'WRONG_AUDIENCE'
  | 'MISSING_PERMISSION'
  | 'USER_MISMATCH'
  | 'EXPIRED'
  | 'WRONG_TENANT'
  | 'NOT_A_JWT';

export interface ClaimsFinding {
  code: ClaimsFindingCode;
  /** What is wrong and what to do, in words. */
  message: string;
}

/** The mail protocol a token is meant for. */
export type ClaimsProtocol = 'imap' | 'pop3' | 'smtp';

export interface AuditTokenClaimsOptions {
  protocol: ClaimsProtocol;
  /** The mailbox being opened; a delegated token for another user is reported. */
  mailbox?: string;
  /** The configured tenant; compared with `tid` only when it is a directory id (GUID). */
  tenant?: string;
  /** App-only (client credentials) token; inferred from the claims when absent. */
  appOnly?: boolean;
  /** Current time, epoch ms. */
  now: number;
  /** The cloud, to name its Exchange scope in fixes (default `global`). */
  cloud?: CloudName;
}

/**
 * The permissions each protocol needs, delegated (`scp`) and app-only (`roles`). Other Exchange
 * permissions — notably EWS's `full_access_as_app` and `EWS.AccessAsUser.All` — do NOT open IMAP,
 * POP3 or SMTP: Microsoft's "Authenticate an IMAP, POP or SMTP connection using OAuth" requires these,
 * so the audit does not accept them.
 */
export const MAIL_PERMISSIONS: Readonly<Record<ClaimsProtocol, { delegated: string; application: string }>> =
  {
    imap: { delegated: 'IMAP.AccessAsUser.All', application: 'IMAP.AccessAsApp' },
    pop3: { delegated: 'POP.AccessAsUser.All', application: 'POP.AccessAsApp' },
    smtp: { delegated: 'SMTP.Send', application: 'SMTP.SendAsApp' },
  };

/** Audiences of Exchange Online tokens: its app id and its resource URI in every cloud. */
export const EXCHANGE_AUDIENCES: readonly string[] = [
  '00000002-0000-0ff1-ce00-000000000000',
  'https://outlook.office.com',
  'https://outlook.office365.com',
  'https://outlook.office365.us',
  'https://outlook-dod.office365.us',
  'https://partner.outlook.cn',
];

/** Audiences of Microsoft Graph tokens (app id and each cloud's resource URI). */
export const GRAPH_AUDIENCES: readonly string[] = [
  '00000003-0000-0000-c000-000000000000',
  'https://graph.microsoft.com',
  'https://graph.microsoft.us',
  'https://dod-graph.microsoft.us',
  'https://microsoftgraph.chinacloudapi.cn',
];

/** The Exchange resource to request, per cloud: delegated and app-only (`/.default`) forms. */
const EXCHANGE_RESOURCE: Readonly<Record<CloudName, { delegated: string; appOnly: string }>> = {
  global: { delegated: 'https://outlook.office.com', appOnly: 'https://outlook.office365.com' },
  usgov: { delegated: 'https://outlook.office365.us', appOnly: 'https://outlook.office365.us' },
  usgovdod: { delegated: 'https://outlook-dod.office365.us', appOnly: 'https://outlook-dod.office365.us' },
  china: { delegated: 'https://partner.outlook.cn', appOnly: 'https://partner.outlook.cn' },
};

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/;

/**
 * The claims of a JWT access token, decoded but not verified; undefined for opaque tokens (and for
 * anything that is not a JWS with a JSON object payload). Never throws.
 */
export function decodeTokenClaims(accessToken: string): TokenClaimsSummary | undefined {
  const payload = jwtPayload(accessToken);
  if (payload === undefined) return undefined;
  const summary: TokenClaimsSummary = {
    scp: typeof payload.scp === 'string' ? payload.scp.split(' ').filter(Boolean) : [],
    roles: Array.isArray(payload.roles)
      ? payload.roles.filter((r): r is string => typeof r === 'string')
      : [],
  };
  const aud = Array.isArray(payload.aud) ? payload.aud.find((a) => typeof a === 'string') : payload.aud;
  if (typeof aud === 'string') summary.aud = aud;
  if (typeof payload.tid === 'string') summary.tid = payload.tid;
  const user = [payload.upn, payload.preferred_username, payload.unique_name].find(
    (u) => typeof u === 'string',
  );
  if (typeof user === 'string') summary.user = user;
  const appId = typeof payload.appid === 'string' ? payload.appid : payload.azp;
  if (typeof appId === 'string') summary.appId = appId;
  if (typeof payload.exp === 'number' && Number.isFinite(payload.exp)) summary.expiresAt = payload.exp * 1000;
  if (typeof payload.idtyp === 'string') summary.idType = payload.idtyp;
  return summary;
}

/**
 * What in a token would make Exchange refuse it for `options.protocol`: the audience, the permission,
 * the user, the expiry and the tenant. Pass `undefined` (an opaque token) to get a `NOT_A_JWT` finding.
 */
export function auditTokenClaims(
  summary: TokenClaimsSummary | undefined,
  options: AuditTokenClaimsOptions,
): ClaimsFinding[] {
  if (summary === undefined) {
    return [
      {
        code: 'NOT_A_JWT',
        message:
          'The access token is not a JWT, so its audience and permissions cannot be checked; Microsoft Entra ID issues JWTs for Exchange Online (an opaque token usually comes from a personal Microsoft account or another identity provider).',
      },
    ];
  }
  const findings: ClaimsFinding[] = [];
  const appOnly = options.appOnly ?? isAppOnly(summary);
  const resource = EXCHANGE_RESOURCE[options.cloud ?? 'global'];
  const scopeFix = `request the Exchange scope ${resource.delegated}/.default (delegated) or ${resource.appOnly}/.default (app-only)`;
  const audience = normaliseAudience(summary.aud);
  if (audience !== undefined && GRAPH_AUDIENCES.includes(audience)) {
    findings.push({
      code: 'GRAPH_AUDIENCE',
      message: `The token is for Microsoft Graph (aud ${summary.aud}), not Exchange Online: ${scopeFix}.`,
    });
  } else if (audience === undefined || !EXCHANGE_AUDIENCES.includes(audience)) {
    findings.push({
      code: 'WRONG_AUDIENCE',
      message: `The token's audience is ${summary.aud ?? 'missing'}, not Exchange Online: ${scopeFix}.`,
    });
  }
  const permission = missingPermission(summary, options.protocol, appOnly);
  if (permission !== undefined) findings.push(permission);
  if (!appOnly && options.mailbox !== undefined && summary.user !== undefined) {
    if (summary.user.toLowerCase() !== options.mailbox.toLowerCase()) {
      findings.push({
        code: 'USER_MISMATCH',
        message: `The token belongs to ${summary.user} but the mailbox is ${options.mailbox}: sign in as the mailbox's user, or for a shared mailbox give ${summary.user} Full Access (Add-MailboxPermission -Identity ${options.mailbox} -User ${summary.user} -AccessRights FullAccess).`,
      });
    }
  }
  if (summary.expiresAt !== undefined && summary.expiresAt <= options.now) {
    findings.push({
      code: 'EXPIRED',
      message: `The token expired at ${new Date(summary.expiresAt).toISOString()}: get a fresh token (check the clock too).`,
    });
  }
  if (options.tenant !== undefined && GUID.test(options.tenant) && summary.tid !== undefined) {
    if (summary.tid.toLowerCase() !== options.tenant.toLowerCase()) {
      findings.push({
        code: 'WRONG_TENANT',
        message: `The token was issued by tenant ${summary.tid}, not the configured tenant ${options.tenant}: check o365.oauth.tenant.`,
      });
    }
  }
  return findings;
}

/** A one-line description of a token's claims for the CLI and error messages (never the token). */
export function formatClaimsSummary(summary: TokenClaimsSummary): string {
  const parts = [
    `aud=${summary.aud ?? '-'}`,
    `tid=${summary.tid ?? '-'}`,
    `user=${summary.user ?? '-'}`,
    `appid=${summary.appId ?? '-'}`,
    `scp=${summary.scp.length > 0 ? summary.scp.join(',') : '-'}`,
    `roles=${summary.roles.length > 0 ? summary.roles.join(',') : '-'}`,
    `exp=${summary.expiresAt === undefined ? '-' : new Date(summary.expiresAt).toISOString()}`,
  ];
  return parts.join(' ');
}

function jwtPayload(token: string): Record<string, unknown> | undefined {
  if (typeof token !== 'string') return undefined;
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1] || !BASE64URL.test(parts[1])) return undefined;
  try {
    const payload: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return typeof payload === 'object' && payload !== null && !Array.isArray(payload)
      ? (payload as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** App-only tokens carry `roles` and no `scp` (and `idtyp: app` when that optional claim is on). */
function isAppOnly(summary: TokenClaimsSummary): boolean {
  if (summary.idType !== undefined) return summary.idType === 'app';
  return summary.scp.length === 0 && summary.roles.length > 0;
}

function normaliseAudience(aud: string | undefined): string | undefined {
  return aud?.trim().toLowerCase().replace(/\/+$/, '');
}

function missingPermission(
  summary: TokenClaimsSummary,
  protocol: ClaimsProtocol,
  appOnly: boolean,
): ClaimsFinding | undefined {
  const needed = appOnly ? MAIL_PERMISSIONS[protocol].application : MAIL_PERMISSIONS[protocol].delegated;
  const granted = appOnly ? summary.roles : summary.scp;
  if (granted.some((p) => p.toLowerCase() === needed.toLowerCase())) return undefined;
  const kind = appOnly ? 'application permission (roles)' : 'delegated permission (scp)';
  return {
    code: 'MISSING_PERMISSION',
    message: `The token lacks the ${kind} ${needed} that ${protocol.toUpperCase()} needs: add ${needed} (Office 365 Exchange Online) to the app registration and Grant admin consent.`,
  };
}
