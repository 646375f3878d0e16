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
  /** Sees every request to the identity platform (method and URL only), e.g. for auditing egress. */
  onRequest?: (request: OutboundRequest) => void;
}
