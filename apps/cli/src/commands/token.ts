import { decodeTokenClaims } from '@kalisto/core';
import type { Command } from 'commander';
import { auditFor, auditGraphToken, protocolFamily, protocolsInUse, tokenService } from '../claims.js';
import type { CommandRunner } from '../runner.js';

interface TokenOptions {
  showToken?: boolean;
  force?: boolean;
}

function minutesUntil(epochMs: number, now: number): string {
  const minutes = Math.round((epochMs - now) / 60_000);
  return minutes >= 0 ? `in ${minutes} min` : `${-minutes} min ago`;
}

/** `kalisto token`: acquires a token and shows its claims and expiry; the token only on request. */
export function registerToken(program: Command, runner: CommandRunner): void {
  program
    .command('token')
    .description('acquire an access token and show its claims, expiry and fitness for the protocols in use')
    .option('--show-token', 'also print the access token itself (it is a credential: handle with care)')
    .option('--force', 'skip every cache and ask the identity platform for a new token')
    .action(
      runner.action<TokenOptions>(async (context, options) => {
        const session = await context.session();
        const { config } = session;
        const token = await session.tokens.getToken({ forceRefresh: options.force === true });
        if (!options.showToken) context.redactor.add(token.accessToken, { ephemeral: true });
        const now = Date.now();
        const claims = decodeTokenClaims(token.accessToken);
        const audits = protocolsInUse(config).flatMap((protocol) => {
          const family = protocolFamily(protocol);
          if (family === undefined) return [];
          const mailbox = config.protocols[protocol]?.user;
          return [{ protocol, findings: auditFor(claims, family, config, mailbox, now) }];
        });
        // Graph has its own token (mail.graph.scope): audited apart, its claims shown in the audit.
        const graph = protocolsInUse(config).includes('graph')
          ? await auditGraphToken(session, {
              forceRefresh: options.force === true,
              onToken: (t) => context.redactor.add(t, { ephemeral: true }),
            })
          : undefined;
        const service = tokenService(claims);
        const data = {
          flow: config.oauth.flow,
          provider: config.oauth.provider,
          scopes: token.scopes,
          expiresAt: new Date(token.expiresAt).toISOString(),
          account: token.account,
          claims,
          audit: graph === undefined ? audits : [...audits, graph],
          ...(options.showToken ? { accessToken: token.accessToken } : {}),
        };
        const c = context.output.colors;
        context.output.result(data, () => {
          const lines = [
            `${c.green('✓')} Token acquired (flow ${config.oauth.flow}, provider ${config.oauth.provider})`,
            `  audience     ${claims?.aud ?? '(opaque token)'}${service === undefined ? '' : ` (${service})`}`,
            `  tenant       ${claims?.tid ?? '-'}`,
            `  identity     ${claims?.user ?? (claims?.appId ? `app ${claims.appId}` : '-')}`,
            `  roles        ${claims?.roles.join(' ') || '-'}`,
            `  scopes       ${claims?.scp.join(' ') || '-'}`,
            `  expires      ${data.expiresAt} (${minutesUntil(token.expiresAt, now)})`,
          ];
          for (const audit of audits) {
            if (audit.findings.length === 0) lines.push(`${c.green('✓')} fit for ${audit.protocol}`);
            for (const finding of audit.findings) {
              lines.push(`${c.yellow('!')} ${audit.protocol}: ${finding.message} (${finding.code})`);
            }
          }
          if (graph !== undefined) {
            const g = graph.claims;
            lines.push(
              `${c.green('✓')} Graph token (${graph.scopes.join(' ')}): audience ${g?.aud ?? '(opaque token)'}${tokenService(g) === undefined ? '' : ` (${tokenService(g)})`}, ${g?.roles.join(' ') || g?.scp.join(' ') || '-'}`,
            );
            if (graph.findings.length === 0) lines.push(`${c.green('✓')} fit for graph`);
            for (const finding of graph.findings) {
              lines.push(`${c.yellow('!')} graph: ${finding.message} (${finding.code})`);
            }
          }
          if (options.showToken) lines.push('', token.accessToken);
          return lines.join('\n');
        });
        return undefined;
      }),
    );
}
