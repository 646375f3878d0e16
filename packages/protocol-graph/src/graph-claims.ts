/**
 * What in a token makes Microsoft Graph refuse a mail operation: the audience (an Outlook token
 * sent to Graph) and the permission (Mail.Send, Mail.ReadWrite, Mail.Read; `.Shared` for another
 * user's mailbox with a delegated token). Read from the unverified claims core decodes.
 */
import type { ClaimsFinding, CloudName, TokenClaimsSummary } from '@kalisto/core';

/** What a Graph request does to the mailbox, for the permission it needs. */
export type GraphOperation = 'read' | 'write' | 'send';

/** The permissions that allow each operation: application (`roles`) and delegated (`scp`). */
export const GRAPH_PERMISSIONS: Readonly<
  Record<
    GraphOperation,
    { application: readonly string[]; own: readonly string[]; shared: readonly string[] }
  >
> = {
  read: {
    application: ['Mail.Read', 'Mail.ReadWrite'],
    own: ['Mail.Read', 'Mail.ReadWrite', 'Mail.Read.Shared', 'Mail.ReadWrite.Shared'],
    shared: ['Mail.Read.Shared', 'Mail.ReadWrite.Shared'],
  },
  write: {
    application: ['Mail.ReadWrite'],
    own: ['Mail.ReadWrite', 'Mail.ReadWrite.Shared'],
    shared: ['Mail.ReadWrite.Shared'],
  },
  send: { application: ['Mail.Send'], own: ['Mail.Send', 'Mail.Send.Shared'], shared: ['Mail.Send.Shared'] },
};

/** Graph's host per cloud: its token resource is `https://<host>`. */
export const GRAPH_HOSTS: Readonly<Record<CloudName, string>> = {
  global: 'graph.microsoft.com',
  usgov: 'graph.microsoft.us',
  usgovdod: 'dod-graph.microsoft.us',
  china: 'microsoftgraph.chinacloudapi.cn',
};

/** Graph's audiences: its app id and its resource in each cloud. */
const GRAPH_AUDIENCES: ReadonlySet<string> = new Set([
  '00000003-0000-0000-c000-000000000000',
  ...Object.values(GRAPH_HOSTS).map((host) => `https://${host}`),
]);

export interface GraphClaimsContext {
  operation: GraphOperation;
  /** The mailbox of the request (`/users/{mailbox}`). */
  mailbox: string;
  /** App-only token; inferred from the claims when absent. */
  appOnly?: boolean | undefined;
  cloud: CloudName;
}

/** App-only tokens carry `roles` and no `scp` (and `idtyp: app` when that optional claim is on). */
export function isAppOnlyToken(claims: TokenClaimsSummary): boolean {
  if (claims.idType !== undefined) return claims.idType === 'app';
  return claims.scp.length === 0 && claims.roles.length > 0;
}

/** Whether the delegated token's user is not the mailbox (a shared or another user's mailbox). */
export function isOtherMailbox(claims: TokenClaimsSummary, mailbox: string): boolean {
  return claims.user !== undefined && claims.user.toLowerCase() !== mailbox.toLowerCase();
}

/** The permission names that would allow the operation for this token. */
export function acceptedPermissions(
  claims: TokenClaimsSummary,
  context: GraphClaimsContext,
): readonly string[] {
  const table = GRAPH_PERMISSIONS[context.operation];
  if (context.appOnly ?? isAppOnlyToken(claims)) return table.application;
  return isOtherMailbox(claims, context.mailbox) ? table.shared : table.own;
}

/** Whether the token carries a permission that allows the operation. */
export function hasPermission(claims: TokenClaimsSummary, context: GraphClaimsContext): boolean {
  const appOnly = context.appOnly ?? isAppOnlyToken(claims);
  const granted = new Set((appOnly ? claims.roles : claims.scp).map((p) => p.toLowerCase()));
  return acceptedPermissions(claims, context).some((p) => granted.has(p.toLowerCase()));
}

/** The audience and permission findings for a token Graph refused (empty when neither is wrong). */
export function auditGraphClaims(claims: TokenClaimsSummary, context: GraphClaimsContext): ClaimsFinding[] {
  const findings: ClaimsFinding[] = [];
  const resource = `https://${GRAPH_HOSTS[context.cloud]}`;
  const audience = claims.aud?.trim().toLowerCase().replace(/\/+$/, '');
  const appOnly = context.appOnly ?? isAppOnlyToken(claims);
  if (audience === undefined || !GRAPH_AUDIENCES.has(audience)) {
    const scope = appOnly
      ? `${resource}/.default`
      : `${resource}/Mail.ReadWrite ${resource}/Mail.Send offline_access`;
    findings.push({
      code: 'WRONG_AUDIENCE',
      message: `The token's audience is ${claims.aud ?? 'missing'}, not Microsoft Graph (${resource}): request Graph's scope (mail.graph.scope, default ${scope}); an Outlook token (IMAP/POP/SMTP) does not open Graph.`,
    });
  }
  if (!hasPermission(claims, { ...context, appOnly })) {
    const accepted = acceptedPermissions(claims, { ...context, appOnly });
    const needed = accepted[0] ?? 'Mail.Read';
    const message = appOnly
      ? `The token's roles (${list(claims.roles)}) lack ${accepted.join(' or ')}: add the application permission ${needed} of Microsoft Graph to the app registration and Grant admin consent (Entra admin center › App registrations › API permissions).`
      : `The token's scp (${list(claims.scp)}) lacks ${accepted.join(' or ')}: add the delegated permission ${needed} of Microsoft Graph, consent to it, and include ${resource}/${needed} in mail.graph.scope.`;
    findings.push({ code: 'MISSING_PERMISSION', message });
  }
  return findings;
}

const list = (items: readonly string[]) => (items.length > 0 ? items.join(' ') : 'none');
