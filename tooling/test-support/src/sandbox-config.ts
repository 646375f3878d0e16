import { type Logger, type ResolvedConfig, resolveConfig } from '@kalisto/core';
import type { Sandbox } from '@kalisto/sandbox';
import { ImapFlow } from 'imapflow';

/** Delegated Exchange scope for IMAP. */
export const IMAP_SCOPE = 'https://outlook.office.com/IMAP.AccessAsUser.All';
/** App-only Exchange scope. */
export const APP_SCOPE = 'https://outlook.office365.com/.default';

/** The sandbox's ready property map with `overrides` applied (an empty value removes a property). */
export function sandboxConfig(sandbox: Sandbox, overrides: Record<string, string> = {}): ResolvedConfig {
  const properties: Record<string, string> = { ...sandbox.properties, ...overrides };
  for (const [name, value] of Object.entries(overrides)) if (value === '') delete properties[name];
  return resolveConfig(properties);
}

/** Properties for a delegated flow of the sandbox's public desktop app as `user`. */
export function publicAppProperties(
  sandbox: Sandbox,
  flow: string,
  user: string,
  scope = IMAP_SCOPE,
): Record<string, string> {
  return {
    'o365.oauth.flow': flow,
    'o365.oauth.clientId': sandbox.fixtures.publicApp.clientId,
    'o365.oauth.clientSecret': '',
    'o365.oauth.scope': scope,
    'o365.user': user,
  };
}

/** A logger that keeps every line, to prove what is (not) logged. */
export function recordingLogger(): Logger & {
  lines: { level: string; obj: object; msg: string | undefined }[];
} {
  const lines: { level: string; obj: object; msg: string | undefined }[] = [];
  const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj, msg });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** The (unverified) payload of a JWT. */
export function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
}

/** Logs in to the sandbox's IMAP server (implicit TLS, its CA trusted) with the token; returns the mailbox list. */
export async function imapLogin(sandbox: Sandbox, user: string, accessToken: string): Promise<string[]> {
  const client = new ImapFlow({
    host: sandbox.endpoints.imaps.host,
    port: sandbox.endpoints.imaps.port,
    secure: true,
    auth: { user, accessToken },
    tls: { ca: [sandbox.ca] },
    logger: false,
  });
  await client.connect();
  try {
    return (await client.list()).map((folder) => folder.path);
  } finally {
    await client.logout();
  }
}
