/**
 * `sandbox.hooks`: the knobs tests turn while a sandbox runs — counters, revocation, lifetimes,
 * secret expiry, device code approval, fault injection, minting tokens without HTTP.
 */
import { KalistoError } from '@kalisto/core';
import type { GraphRequestKind, GraphThrottleOptions } from './graph/controls.js';
import { approveDeviceCode, denyDeviceCode } from './identity/grants.js';
import { type IntrospectionResponse, introspect } from './identity/introspection.js';
import { EXCHANGE } from './identity/scopes.js';
import type { SigningKey, TokenIssuer } from './identity/tokens.js';
import type { IdentityRequestKind, SandboxApp, SandboxState, TokenFault } from './state.js';

/** Knobs tests turn while the sandbox runs. */
export interface SandboxHooks {
  /** Identity requests received, per grant type and endpoint. */
  requestCounts(): Record<IdentityRequestKind, number>;
  resetRequestCounts(): void;
  /** Revokes one access token by its `jti`: mail logins and introspection refuse it. */
  revokeToken(jti: string): void;
  /** Revokes every token and refresh token issued so far to a user (revokeSignInSessions). */
  revokeUser(upn: string): void;
  /** Revokes every token issued so far to an app (client credentials). */
  revokeApp(clientId: string): void;
  /** Lifetime of access tokens issued from now on, seconds. */
  setTokenLifetime(seconds: number): void;
  /** Makes an app's secrets expired (all, or the one with this value or id): AADSTS7000222. */
  expireSecret(clientId: string, secretValueOrId?: string): void;
  /** Approves a pending device code as `upn` (what the user does at the verification page). */
  approveDeviceCode(userCode: string, upn: string): void;
  /** Declines a pending device code: the next poll fails with authorization_declined. */
  denyDeviceCode(userCode: string): void;
  /** Fails the next `count` token/device-code requests: latency, 429 + Retry-After, 5xx, dropped connection. */
  injectFault(fault: TokenFault, count?: number): void;
  clearFaults(): void;
  /** Signs a token directly (no HTTP), e.g. expired or with foreign claims, for mail-server tests. */
  mintToken(request: MintTokenRequest): Promise<MintedToken>;
  /** What the introspection endpoint would answer for `token`. */
  introspect(token: string): IntrospectionResponse;
  /** Knobs of the Microsoft Graph server. */
  graph: GraphHooks;
}

/** `sandbox.hooks.graph`: request counters and injected failures of the Graph server. */
export interface GraphHooks {
  /** Graph requests received, per endpoint (errors included; `uploadChunk` for upload URL requests). */
  requestCounts(): Record<GraphRequestKind, number>;
  resetRequestCounts(): void;
  /**
   * Answers the next `times` requests to `mailbox` (`*` = any) with 429 ApplicationThrottled or
   * 503, with `Retry-After`, after authentication and authorization.
   */
  throttle(mailbox: string, options?: GraphThrottleOptions): void;
  clearThrottles(): void;
  /** The largest message the tenant's mailboxes may send through Graph, bytes (default 35 MB). */
  setMaxSendSize(bytes: number, tenant?: string): void;
}

export interface MintTokenRequest {
  /** Delegated token for this user (in the user's tenant); omit for an app-only token. */
  upn?: string;
  /** The app; default: the tenant's first app with a secret (app-only) or allowing public flows (delegated). */
  clientId?: string;
  /** Tenant id or domain for app-only tokens; default the first tenant. */
  tenant?: string;
  /** `aud`; default `https://outlook.office.com`. */
  audience?: string;
  /** Delegated scopes; default IMAP.AccessAsUser.All POP.AccessAsUser.All SMTP.Send. */
  scp?: readonly string[];
  /** App roles; default the app's Exchange application permissions. */
  roles?: readonly string[];
  /** Lifetime, seconds (negative = already expired). */
  lifetimeSeconds?: number;
  extraClaims?: Record<string, unknown>;
}

export interface MintedToken {
  token: string;
  jti: string;
  /** Epoch ms. */
  expiresAt: number;
}

/** A sandbox API misuse, with a stable code. */
export function sandboxError(message: string, code: string): KalistoError {
  return new KalistoError(`[sandbox] ${message}`, { code });
}

function firstApp(state: SandboxState, predicate: (app: SandboxApp) => boolean, tenant?: string): SandboxApp {
  const tenants = tenant ? [state.findTenant(tenant)] : [...state.tenants.values()];
  for (const t of tenants) for (const app of t?.apps.values() ?? []) if (predicate(app)) return app;
  throw sandboxError('No app in the directory fits; pass clientId.', 'SANDBOX_NO_APP');
}

/** The hooks of a sandbox whose identity platform signs with `key` through `issuer`. */
export function createSandboxHooks(
  state: SandboxState,
  key: SigningKey,
  issuer: TokenIssuer,
  defaultTenantId: string,
): SandboxHooks {
  return {
    requestCounts: () => state.requestCounts(),
    resetRequestCounts: () => state.resetCounts(),
    revokeToken: (jti) => state.revokeToken(jti),
    revokeUser: (upn) => state.revokePrincipal(upn),
    revokeApp: (clientId) => state.revokePrincipal(`app:${clientId}`),
    setTokenLifetime: (seconds) => {
      state.lifetimes.accessToken = seconds;
    },
    expireSecret: (clientId, which) => {
      const app = state.findApp(clientId);
      if (!app) throw sandboxError(`No app ${clientId} in the directory.`, 'SANDBOX_NO_APP');
      for (const secret of app.secrets) {
        if (which === undefined || secret.value === which || secret.id === which)
          secret.expiresAt = state.now() - 1000;
      }
    },
    approveDeviceCode: (userCode, upn) => approveDeviceCode(state, userCode, upn),
    denyDeviceCode: (userCode) => denyDeviceCode(state, userCode),
    injectFault: (fault, count = 1) => state.injectFault(fault, count),
    clearFaults: () => state.clearFaults(),
    mintToken: async (request) => {
      const user = request.upn ? state.findUser(request.upn) : undefined;
      if (request.upn && !user)
        throw sandboxError(`No user ${request.upn} in the directory.`, 'SANDBOX_NO_USER');
      const mintTenant = user?.tenant ?? state.findTenant(request.tenant ?? defaultTenantId);
      if (!mintTenant) throw sandboxError(`No tenant ${request.tenant}.`, 'SANDBOX_NO_TENANT');
      const app = request.clientId
        ? mintTenant.apps.get(request.clientId.toLowerCase())
        : firstApp(state, (a) => (user ? a.publicClient : a.secrets.length > 0), mintTenant.id);
      if (!app)
        throw sandboxError(`No app ${request.clientId} in tenant ${mintTenant.id}.`, 'SANDBOX_NO_APP');
      const issued = await issuer.accessToken({
        tenant: mintTenant,
        app,
        user,
        audience: request.audience ?? EXCHANGE.defaultAudience,
        scp: request.scp ?? ['IMAP.AccessAsUser.All', 'POP.AccessAsUser.All', 'SMTP.Send'],
        roles: request.roles ?? [...app.permissions.exchangeApplication.values()],
        clientAuth: user ? 'public' : 'secret',
        lifetimeSeconds: request.lifetimeSeconds,
        extraClaims: request.extraClaims,
      });
      return { token: issued.token, jti: issued.jti, expiresAt: issued.exp * 1000 };
    },
    introspect: (token) => introspect(state, key, token),
    graph: {
      requestCounts: () => state.graph.requestCounts(),
      resetRequestCounts: () => state.graph.resetCounts(),
      throttle: (mailbox, options) => state.graph.throttle(mailbox, options),
      clearThrottles: () => state.graph.clearThrottles(),
      setMaxSendSize: (bytes, tenant) => {
        const target = state.findTenant(tenant ?? defaultTenantId);
        if (!target) throw sandboxError(`No tenant ${tenant}.`, 'SANDBOX_NO_TENANT');
        target.graph.maxSendSize = bytes;
      },
    },
  };
}
