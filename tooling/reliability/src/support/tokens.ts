/** Whether a token a session was given is genuine and meant for that caller (the sandbox decides). */
import type { Sandbox } from '@kalisto/sandbox';

export interface TokenOwner {
  clientId: string;
  /** Delegated tokens: the user it must be for. */
  upn?: string;
}

/** True when the sandbox issued `token`, it is still active, and it belongs to `owner`. */
export function isGenuine(sandbox: Sandbox, token: string, owner: TokenOwner): boolean {
  const answer = sandbox.hooks.introspect(token);
  if (!answer.active) return false;
  if (answer.client_id !== owner.clientId) return false;
  return owner.upn === undefined || String(answer.username).toLowerCase() === owner.upn.toLowerCase();
}

/** Token requests of every grant the sandbox has answered so far. */
export function identityRequests(sandbox: Sandbox): number {
  const counts = sandbox.hooks.requestCounts();
  return counts.client_credentials + counts.password + counts.refresh_token + counts.device_code;
}
