/** Which claims audit applies to which protocol in use. */
import {
  auditTokenClaims,
  type ClaimsFinding,
  type ClaimsProtocol,
  type ResolvedConfig,
  type TokenClaimsSummary,
} from '@kalisto/core';

/** `imaps` → `imap`, `smtps` → `smtp`; undefined for a custom protocol. */
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
    appOnly: config.oauth.flow === 'client_credentials' || config.oauth.flow === 'managed_identity',
    cloud: config.oauth.cloud,
    now,
  });
}
