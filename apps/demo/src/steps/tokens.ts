import { decodeTokenClaims, type KalistoSession } from '@kalisto/core';
import type { TourStep } from '../tour-output.js';

/** What is safe to show of a token: its claims that matter for mail, and when it expires. Never the token. */
async function describeToken(session: KalistoSession): Promise<{ lines: string[]; permissions: string }> {
  const token = await session.tokens.getToken();
  const claims = decodeTokenClaims(token.accessToken);
  const minutes = Math.round((token.expiresAt - Date.now()) / 60_000);
  const permissions = claims ? [...claims.roles, ...claims.scp].join(', ') : '(opaque token)';
  return {
    lines: [
      `audience     ${claims?.aud ?? '-'}`,
      `identity     ${claims?.user ?? `app ${claims?.appId ?? '-'}`}`,
      `permissions  ${permissions}`,
      `expires in   ${minutes} min (the token itself is never printed)`,
    ],
    permissions,
  };
}

/** Step: an app-only token with the client credentials grant. */
export function clientCredentialsStep(session: () => KalistoSession): TourStep {
  return {
    title: 'Token: client credentials (MSAL)',
    explanation:
      'For daemons: the app registration authenticates with its client secret and gets an app-only token for https://outlook.office365.com/.default. Kalisto runs MSAL, caches the token and refreshes it 5 minutes before expiry.',
    async run() {
      const { lines, permissions } = await describeToken(session());
      return { lines, outcome: `app-only token: ${permissions}` };
    },
  };
}

/** Step: a delegated token with the password grant (the Java library's default). */
export function passwordGrantStep(session: () => KalistoSession): TourStep {
  return {
    title: 'Token: password grant (MSAL)',
    explanation:
      'For old configurations that set o365.user and o365.password: a public client ("Allow public client flows") signs the user in and gets a delegated token with IMAP, POP and SMTP scopes; later tokens come from the refresh token.',
    async run() {
      const { lines, permissions } = await describeToken(session());
      return { lines, outcome: `delegated token: ${permissions}` };
    },
  };
}
