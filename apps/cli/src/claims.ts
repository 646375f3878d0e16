/** Which claims audit applies to which protocol in use: Exchange Online's (IMAP/POP/SMTP) or Graph's. */
import {
  auditTokenClaims,
  type ClaimsFinding,
  type ClaimsProtocol,
  decodeTokenClaims,
  type KalistoSession,
  type ResolvedConfig,
  type TokenClaimsSummary,
} from '@kalisto/core';
import { auditGraphClaims, GRAPH_HOSTS, type GraphOperation, graphOptions } from '@kalisto/protocol-graph';

/** `imaps` → `imap`, `smtps` → `smtp`; undefined for a custom protocol (and `graph`). */
export function protocolFamily(protocol: string): ClaimsProtocol | undefined {
  const family = protocol.replace(/s$/, '');
  return family === 'imap' || family === 'pop3' || family === 'smtp' ? family : undefined;
}

/** The store and transport protocols the configuration uses. */
export function protocolsInUse(config: ResolvedConfig): string[] {
  return [...new Set([config.storeProtocol, config.transportProtocol])];
}

/** The claims audit of a token for one protocol family, against the configuration. */
export function auditFor(
  claims: TokenClaimsSummary | undefined,
  family: ClaimsProtocol,
  config: ResolvedConfig,
  mailbox: string | undefined,
  now: number,
): ClaimsFinding[] {
  return auditTokenClaims(claims, {
    protocol: family,
    mailbox,
    tenant: config.oauth.tenant,
    appOnly: isAppOnlyFlow(config),
    cloud: config.oauth.cloud,
    now,
  });
}

/** Client credentials and managed identity get app-only tokens (roles, no scp). */
export function isAppOnlyFlow(config: ResolvedConfig): boolean {
  return config.oauth.flow === 'client_credentials' || config.oauth.flow === 'managed_identity';
}

/**
 * What Graph does with the mailbox when `graph` is in use: `send` as the transport, `read` as the
 * store; both when graph is checked though neither uses it (`doctor --protocols graph`).
 */
export function graphOperations(config: ResolvedConfig): GraphOperation[] {
  const operations: GraphOperation[] = [];
  if (config.storeProtocol === 'graph') operations.push('read');
  if (config.transportProtocol === 'graph') operations.push('send');
  return operations.length > 0 ? operations : ['read', 'send'];
}

/** The audience Exchange Online's protocols (IMAP, POP, SMTP) take, in any cloud. */
const OUTLOOK_AUDIENCE = /^(?:https:\/\/outlook\.|00000002-0000-0ff1-ce00-000000000000$)/i;
/** Graph's resource in every cloud, and its app id. */
const GRAPH_AUDIENCES: ReadonlySet<string> = new Set([
  '00000003-0000-0000-c000-000000000000',
  ...Object.values(GRAPH_HOSTS).map((host) => `https://${host}`),
]);

/** Which service a token is for, by its audience: the doctor and `kalisto token` name it. */
export function tokenService(claims: TokenClaimsSummary | undefined): string | undefined {
  const audience = claims?.aud?.trim().toLowerCase().replace(/\/+$/, '');
  if (audience === undefined) return undefined;
  if (GRAPH_AUDIENCES.has(audience)) return 'Microsoft Graph';
  if (OUTLOOK_AUDIENCE.test(audience)) return 'Exchange Online (IMAP/POP/SMTP)';
  return undefined;
}

/**
 * The claims audit of a Graph token (from `mail.graph.scope`) for what Graph will do with the
 * mailbox: Graph's audience in the configured cloud, and the role (app-only) or scope (delegated)
 * each operation needs. An Exchange Online token is named as such, with Graph's scope as the fix.
 */
export function auditGraphFor(
  claims: TokenClaimsSummary | undefined,
  operations: readonly GraphOperation[],
  config: ResolvedConfig,
  mailbox: string,
): ClaimsFinding[] {
  if (claims === undefined) return [];
  const findings = new Map<string, ClaimsFinding>();
  for (const operation of operations) {
    for (const finding of auditGraphClaims(claims, {
      operation,
      mailbox,
      appOnly: isAppOnlyFlow(config),
      cloud: config.oauth.cloud,
    })) {
      const named =
        finding.code === 'WRONG_AUDIENCE' && tokenService(claims)?.startsWith('Exchange')
          ? {
              code: finding.code,
              message: `The token is for Exchange Online (aud ${claims.aud}), not Microsoft Graph. ${finding.message}`,
            }
          : finding;
      findings.set(named.message, named);
    }
  }
  return [...findings.values()];
}

/** A Graph token's audit, as `kalisto token` shows it beside the Outlook token's. */
export interface GraphTokenAudit {
  protocol: 'graph';
  /** `mail.graph.scope`: the Graph token is requested apart from `o365.oauth.scope`. */
  scopes: readonly string[];
  claims: TokenClaimsSummary | undefined;
  findings: ClaimsFinding[];
}

/**
 * Acquires the Graph token (`mail.graph.scope`, through the session's token manager) and audits
 * it for what `graph` does in this configuration. `onToken` receives the token to keep it out of
 * the output (a redactor); it is not returned.
 */
export async function auditGraphToken(
  session: KalistoSession,
  options: { forceRefresh?: boolean; onToken?: (accessToken: string) => void } = {},
): Promise<GraphTokenAudit> {
  const { config } = session;
  const settings = config.protocols.graph;
  if (settings === undefined) throw new Error('No settings for protocol graph.');
  const graph = graphOptions(settings, config);
  const token = await session.tokens.getToken({
    scopes: graph.scopes,
    ...(options.forceRefresh ? { forceRefresh: true } : {}),
  });
  options.onToken?.(token.accessToken);
  const claims = decodeTokenClaims(token.accessToken);
  return {
    protocol: 'graph',
    scopes: graph.scopes,
    claims,
    findings: auditGraphFor(claims, graphOperations(config), config, graph.mailbox),
  };
}
