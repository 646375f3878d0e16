import type { ResolvedConfig } from '@kalisto/core';
import { type Sandbox, type SandboxOptions, startSandbox } from '@kalisto/sandbox';
import {
  sandboxConfig as baseConfig,
  publicAppProperties as basePublicApp,
  IMAP_SCOPE,
} from '@kalisto/test-support';

export { APP_SCOPE, claimsOf, IMAP_SCOPE, imapLogin, recordingLogger } from '@kalisto/test-support';

/** A sandbox (identity platform only unless `mail: true`). */
export function startTestSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  return startSandbox({ mail: false, ...options });
}

/** The sandbox's property map with this package's provider and `overrides` (an empty value removes a property). */
export function sandboxConfig(sandbox: Sandbox, overrides: Record<string, string> = {}): ResolvedConfig {
  return baseConfig(sandbox, { 'o365.oauth.provider': 'oauth2', ...overrides });
}

/** A delegated flow of the public app; a plain OAuth2 server needs offline_access to return a refresh token. */
export function publicAppProperties(sandbox: Sandbox, flow: string, user: string): Record<string, string> {
  return basePublicApp(sandbox, flow, user, `${IMAP_SCOPE} offline_access`);
}

/** What `promise` rejected with (`undefined` if it resolved). */
export function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}
