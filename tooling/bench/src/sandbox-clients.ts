/** Kalisto sessions and raw library clients pointed at the sandbox child, with the same credentials. */
import { ConfidentialClientApplication } from '@azure/msal-node';
import { createKalisto, type Kalisto } from '@kalisto/core';
import { graph } from '@kalisto/protocol-graph';
import { imaps } from '@kalisto/protocol-imap';
import { pop3s } from '@kalisto/protocol-pop3';
import { smtp } from '@kalisto/protocol-smtp';
import { msalConfigFor } from '@kalisto/sandbox';
import { msalTokenProvider } from '@kalisto/token-msal';
import type { SandboxProcess } from './sandbox-process.js';

/** The app-only scope the sandbox's properties use. */
export const EXCHANGE_SCOPE = 'https://outlook.office365.com/.default';

/** The app-only scope of Microsoft Graph (the default `mail.graph.scope` of client credentials). */
export const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';

/** A Kalisto with every provider the benchmarks use (no cache backend: session memory only). */
export function benchKalisto(): Kalisto {
  return createKalisto({
    protocols: [imaps(), pop3s(), smtp(), ...graph()],
    tokenProviders: [msalTokenProvider()],
  });
}

/** A raw MSAL confidential client for the sandbox's daemon app (no discovery request, CA trusted). */
export function rawMsalClient(sandbox: SandboxProcess): ConfidentialClientApplication {
  const config = msalConfigFor(
    { endpoints: { authority: sandbox.authority }, ca: sandbox.ca, tenant: { id: sandbox.tenantId } },
    { clientId: sandbox.clientId },
  );
  return new ConfidentialClientApplication({
    auth: { ...config.auth, clientSecret: sandbox.clientSecret },
    system: { networkClient: config.system.networkClient },
  });
}

/** Requests the sandbox's identity platform has answered since the last reset, all kinds together. */
export async function identityRequests(sandbox: SandboxProcess): Promise<number> {
  const counts = await sandbox.request<Record<string, number>>({ op: 'requestCounts' });
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
}

/**
 * A fresh app-only access token for the sandbox's mailboxes (what both sides of a mail benchmark log
 * in with); `scope` {@link GRAPH_SCOPE} gives a Graph token instead.
 */
export async function sandboxToken(sandbox: SandboxProcess, scope = EXCHANGE_SCOPE): Promise<string> {
  const result = await rawMsalClient(sandbox).acquireTokenByClientCredential({ scopes: [scope] });
  if (!result?.accessToken) throw new Error('the sandbox issued no token');
  return result.accessToken;
}

/** The message the send benchmarks deliver (about 1.8 KB): from the sandbox's mailbox to the other one. */
export function benchMessage(sandbox: SandboxProcess, i: number) {
  return {
    from: sandbox.user,
    to: sandbox.otherUser,
    subject: `Benchmark message ${i}`,
    text: `Hello,\r\n\r\n${'This line is here to give the message a realistic size. '.repeat(30)}\r\n\r\nRegards\r\n`,
  };
}
