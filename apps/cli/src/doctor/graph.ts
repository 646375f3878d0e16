/**
 * The doctor's Microsoft Graph checks: the Graph token (its own scopes, `mail.graph.scope`), its
 * audience and permissions for what Graph will do, and the mailbox probed over Graph. A refusal
 * carries the fix of protocol-graph's classification (role and consent, the access policy's
 * PowerShell, a REST-disabled or unknown mailbox).
 */
import {
  AuthenticationError,
  decodeTokenClaims,
  type KalistoSession,
  type ResolvedConfig,
  type TokenClaimsSummary,
} from '@kalisto/core';
import { type GraphOperation, graphOptions, hasPermission } from '@kalisto/protocol-graph';
import { auditGraphFor, isAppOnlyFlow, tokenService } from '../claims.js';
import { plural } from '../text.js';
import type { Check } from './checks.js';

/** The protocol name the Graph checks are ids of (`token:graph`, `claims:graph`, `login:graph`). */
export const GRAPH = 'graph';

export interface GraphChecksOptions {
  config: ResolvedConfig;
  session: () => Promise<KalistoSession>;
  /** What Graph does with the mailbox: `send` (transport), `read` (store). */
  operations: readonly GraphOperation[];
  now: () => number;
}

/** The token, claims and mailbox checks of the `graph` protocol, in dependency order. */
export function graphChecks(options: GraphChecksOptions): Check[] {
  const { config, operations, now } = options;
  const settings = config.protocols[GRAPH];
  if (settings === undefined) throw new Error('No settings for protocol graph.');
  const graph = graphOptions(settings, config);
  let claims: TokenClaimsSummary | undefined;

  const token: Check = {
    id: `token:${GRAPH}`,
    title: `Graph token (${config.oauth.flow}, ${config.oauth.provider})`,
    needs: ['tls:identity'],
    run: async () => {
      const session = await options.session();
      const acquired = await session.tokens.getToken({ scopes: graph.scopes });
      claims = decodeTokenClaims(acquired.accessToken);
      const minutes = Math.round((acquired.expiresAt - now()) / 60_000);
      const who = claims?.user ?? (claims?.appId ? `app ${claims.appId}` : 'opaque token');
      const service = tokenService(claims);
      const audience = `audience ${claims?.aud ?? '-'}${service === undefined ? '' : ` (${service})`}`;
      return `${who}, ${audience}, scopes ${graph.scopes.join(' ')}, expires in ${minutes} min`;
    },
  };

  const fit: Check = {
    id: `claims:${GRAPH}`,
    title: `Token fit for Graph (${operations.join(', ')})`,
    needs: [token.id],
    run: async () => {
      const findings = auditGraphFor(claims, operations, config, graph.mailbox);
      if (findings.length === 0) {
        const granted = [...(claims?.roles ?? []), ...(claims?.scp ?? [])].join(' ');
        return claims === undefined
          ? 'not a JWT: its permissions cannot be read (Graph answers the mailbox check)'
          : `audience and permissions fit (${granted || '-'})`;
      }
      const first = findings[0]!;
      throw new AuthenticationError(
        `The token would be refused by Microsoft Graph (${findings.map((f) => f.code).join(', ')}).`,
        {
          code: `CLAIMS_${first.code}`,
          protocol: GRAPH,
          claims,
          findings,
          hint: findings.map((f) => f.message).join(' '),
        },
      );
    },
  };

  const mailbox: Check = {
    id: `login:${GRAPH}`,
    title: `Mailbox ${graph.mailbox} over Graph`,
    needs: [token.id, `tls:${GRAPH}`],
    run: async () => {
      const sendOnly = !operations.includes('read');
      const mayRead =
        claims === undefined ||
        hasPermission(claims, {
          operation: 'read',
          mailbox: graph.mailbox,
          appOnly: isAppOnlyFlow(config),
          cloud: config.oauth.cloud,
        });
      if (sendOnly && !mayRead) {
        return 'not read: the token may only send, so only a send shows whether Graph takes this mailbox (kalisto doctor --send-test)';
      }
      const session = await options.session();
      // Opening the store probes the mailbox (GET /users/{mailbox}/mailFolders/inbox).
      const store = await session.store(GRAPH as 'graph');
      const inbox = (await store.folders()).find((f) => f.path.toLowerCase() === 'inbox');
      if (inbox?.totalItemCount === undefined) return 'reachable over Graph';
      return `reachable; Inbox has ${plural(inbox.totalItemCount, 'message')} (${inbox.unreadItemCount ?? 0} unread)`;
    },
  };

  return [token, fit, mailbox];
}
