import type { Secret } from '@kalisto/core';
import type { OutboundRequest } from './network-client.js';

/** What the user must see to complete a device code sign-in. Contains no secret. */
export interface DeviceCodeInfo {
  /** Microsoft's ready-made instruction, e.g. "To sign in, use a web browser to open … and enter the code …". */
  message: string;
  /** The code the user types at `verificationUri`. */
  userCode: string;
  verificationUri: string;
  /** When the code stops working, epoch ms. */
  expiresAt: number;
}

/** A user-assigned managed identity; leave out for the system-assigned one. */
export interface ManagedIdentityOptions {
  /** Client id of a user-assigned identity. */
  clientId?: string;
  /** Azure resource id of a user-assigned identity. */
  resourceId?: string;
  /** Object (principal) id of a user-assigned identity. */
  objectId?: string;
}

/**
 * An explicit sign-in (what `kalisto login` runs) in place of the configured flow's: through a
 * browser (authorization code with PKCE and a loopback redirect) or with a device code. The account
 * and its refresh token land in the session's cache (bound to its credential like every MSAL
 * cache entry), where the flows `device_code` and `refresh_token` of later sessions find them.
 * Only for delegated flows (`password`, `device_code`, `refresh_token`).
 */
export interface SignInOptions {
  method: 'browser' | 'device_code';
  /** Opens the sign-in URL (method `browser`): the system browser for a person, a driven browser in tests. */
  openBrowser?: (url: string) => Promise<void>;
  /** Sign in even when the cache already holds the user's refresh token. Default `false`. */
  always?: boolean;
  /** Give up waiting for the browser sign-in after this long, ms. Default 5 minutes. */
  timeoutMs?: number;
}

/** Options of {@link msalTokenProvider}. Every one is optional. */
export interface MsalTokenProviderOptions {
  /**
   * Receives the device code sign-in instruction (flow `device_code`); show it to the user.
   * Without it the instruction is logged at `warn` level.
   */
  onDeviceCode?: (info: DeviceCodeInfo) => void;
  /** Give up waiting for a device code sign-in after this long, ms. Default: until the code expires (about 15 min). */
  deviceCodeTimeoutMs?: number;
  /**
   * A refresh token to start from (flow `refresh_token`) when the cache holds none yet, e.g. one
   * obtained by another tool. It is redeemed once; the rotated tokens then live in the cache, bound
   * to it: keep it configured. Without it, the flow continues only from a device code sign-in
   * persisted in the cache (a password sign-in's tokens are bound to the password).
   */
  refreshToken?: string | Secret;
  /** The managed identity to use (flow `managed_identity`). Default: system-assigned. */
  managedIdentity?: ManagedIdentityOptions;
  /** Hosts that bypass the proxy (NO_PROXY syntax). Default: the `NO_PROXY` environment variable. */
  noProxy?: string;
  /** How long the persisted MSAL cache (refresh tokens) lives after its last write, ms. Default 90 days. */
  cacheTtlMs?: number;
  /** Sign in through a browser or a device code instead of the configured flow's sign-in (see {@link SignInOptions}). */
  signIn?: SignInOptions;
  /** Sees every request to the identity platform (method and URL only), e.g. for auditing egress. */
  onRequest?: (request: OutboundRequest) => void;
}
