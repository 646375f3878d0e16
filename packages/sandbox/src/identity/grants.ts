/**
 * The token endpoint's grants: client credentials, password (ROPC), authorization code, refresh token and device code,
 * plus the device authorization endpoint. Each returns the JSON body of a successful response or
 * throws the `AadstsError` Entra ID would answer with.
 */
import { createHash, randomBytes } from 'node:crypto';
import { KalistoError } from '@kalisto/core';
import type { SandboxApp, SandboxState, SandboxTenant, SandboxUser } from '../state.js';
import { AadstsError, aadTimestamp } from './aadsts.js';
import { findCode, hasUserConsent } from './authorization-store.js';
import { authenticateClient } from './client-auth.js';
import { grantApplication, grantDelegated, parseScopes, responseScope, type ScopeRequest } from './scopes.js';
import { type ClientAuthMethod, clientInfo, type TokenIssuer } from './tokens.js';

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** What every grant needs: the request's form fields and the tenant/endpoint it came in on. */
export interface GrantContext {
  state: SandboxState;
  issuer: TokenIssuer;
  params: URLSearchParams;
  /** The `{tenant}` path segment as sent (id or domain). */
  tenantSegment: string;
  /** The identity server's base URL. */
  baseUrl: string;
}

/** The JSON body of a successful token (or device authorization) response. */
export type TokenResponseBody = Record<string, string | number>;

function required(params: URLSearchParams, name: string): string {
  const value = params.get(name);
  if (!value) throw new AadstsError(900144, [name]);
  return value;
}

function resolveTenant(ctx: GrantContext): SandboxTenant {
  const tenant = ctx.state.findTenant(ctx.tenantSegment);
  if (!tenant) throw new AadstsError(90002, [ctx.tenantSegment]);
  return tenant;
}

function resolveApp(tenant: SandboxTenant, clientId: string): SandboxApp {
  const app = tenant.apps.get(clientId.toLowerCase());
  if (!app) throw new AadstsError(700016, [clientId, tenant.id]);
  return app;
}

function tokenEndpoints(ctx: GrantContext, tenant: SandboxTenant): string[] {
  return [tenant.id, tenant.domain, ctx.tenantSegment].map((t) => `${ctx.baseUrl}/${t}/oauth2/v2.0/token`);
}

/** The app calling the token endpoint, in the tenant of the path, authenticated (a public client with no credential when `publicAllowed`). */
async function callingClient(ctx: GrantContext, publicAllowed: boolean) {
  const tenant = resolveTenant(ctx);
  const app = resolveApp(tenant, required(ctx.params, 'client_id'));
  const p = ctx.params;
  const clientAuth = await authenticateClient(
    ctx.state,
    app,
    {
      clientSecret: p.get('client_secret') ?? undefined,
      clientAssertion: p.get('client_assertion') ?? undefined,
      clientAssertionType: p.get('client_assertion_type') ?? undefined,
    },
    publicAllowed,
    tokenEndpoints(ctx, tenant),
  );
  return { tenant, app, clientAuth };
}

/** The record `key` names in `records`, when it was issued to this app in this tenant (else AADSTS70000). */
function issuedTo<R extends { clientId: string; tenantId: string }>(
  records: ReadonlyMap<string, R>,
  key: string,
  { tenant, app }: { tenant: SandboxTenant; app: SandboxApp },
): R {
  const record = records.get(key);
  if (!record || record.clientId !== app.clientId || record.tenantId !== tenant.id)
    throw new AadstsError(70000);
  return record;
}

/** The user of a delegated grant, in this tenant (AADSTS50020 for another tenant's user, 50034 for nobody). */
function tenantUser(state: SandboxState, tenant: SandboxTenant, app: SandboxApp, upn: string): SandboxUser {
  const user = tenant.users.get(upn.toLowerCase());
  if (user) return user;
  const elsewhere = state.findUser(upn);
  if (elsewhere) throw new AadstsError(50020, [elsewhere.upn, elsewhere.tenant.id, tenant.id, app.clientId]);
  throw new AadstsError(50034, [upn, tenant.domain]);
}

/** Access token (+ id token, client_info, refresh token when asked for) for a signed-in user. */
async function delegatedResponse(
  ctx: GrantContext,
  tenant: SandboxTenant,
  app: SandboxApp,
  user: SandboxUser,
  request: ScopeRequest,
  clientAuth: ClientAuthMethod,
  amr: readonly string[],
): Promise<TokenResponseBody> {
  const scp = grantDelegated(app, request, hasUserConsent(ctx.state, app, user));
  const access = await ctx.issuer.accessToken({
    tenant,
    app,
    user,
    audience: request.audience,
    scp,
    clientAuth,
    amr,
  });
  const lifetime = access.exp - access.iat;
  const body: TokenResponseBody = {
    token_type: 'Bearer',
    scope: responseScope(request, scp),
    expires_in: lifetime,
    ext_expires_in: lifetime,
    access_token: access.token,
  };
  if (request.oidc.has('offline_access')) {
    body.refresh_token = ctx.issuer.refreshToken(
      tenant,
      app,
      user,
      ctx.params.get('scope')?.split(/\s+/) ?? [],
    );
  }
  if (request.oidc.has('openid')) body.id_token = await ctx.issuer.idToken(tenant, app, user);
  if (ctx.params.get('client_info') === '1') body.client_info = clientInfo(user);
  return body;
}

/** Client credentials: an app-only token whose `roles` are the app's consented application permissions. */
export async function clientCredentialsGrant(ctx: GrantContext): Promise<TokenResponseBody> {
  const { tenant, app, clientAuth } = await callingClient(ctx, false);
  const scope = required(ctx.params, 'scope');
  const request = parseScopes(scope, tenant.domain);
  const roles = grantApplication(app, request, scope);
  const access = await ctx.issuer.accessToken({ tenant, app, audience: request.audience, roles, clientAuth });
  const lifetime = access.exp - access.iat;
  return { token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: access.token };
}

/** Resource owner password credentials (ROPC): refused for MFA users (AADSTS50076), as in Entra ID. */
export async function passwordGrant(ctx: GrantContext): Promise<TokenResponseBody> {
  const { tenant, app, clientAuth } = await callingClient(ctx, true);
  const username = required(ctx.params, 'username');
  const password = required(ctx.params, 'password');
  const request = parseScopes(required(ctx.params, 'scope'), tenant.domain);
  const user = tenantUser(ctx.state, tenant, app, username);
  if (user.password !== password) throw new AadstsError(50126);
  if (user.mfaRequired) throw new AadstsError(50076, [request.resource.identifiers.at(-1) ?? '']);
  return delegatedResponse(ctx, tenant, app, user, request, clientAuth, ['pwd']);
}

/**
 * Redeems a refresh token. Like Entra ID, a redeemed refresh token is replaced by a new one but
 * stays valid itself until its own expiry; revoking the user (revokeSignInSessions) ends both.
 */
export async function refreshTokenGrant(ctx: GrantContext): Promise<TokenResponseBody> {
  const { tenant, app, clientAuth } = await callingClient(ctx, true);
  const record = issuedTo(ctx.state.refreshTokens, required(ctx.params, 'refresh_token'), { tenant, app });
  const now = ctx.state.nowSeconds();
  const issued = aadTimestamp(new Date(record.iat * 1000));
  if (record.exp <= now) {
    const inactiveDays = Math.floor((now - record.iat) / 86_400);
    throw new AadstsError(700082, [issued, `${inactiveDays}.00:00:00`]);
  }
  if (ctx.state.isPrincipalRevoked(record.upn, record.sequence)) {
    throw new AadstsError(50173, [issued, aadTimestamp(new Date(ctx.state.now()))]);
  }
  const user = tenantUser(ctx.state, tenant, app, record.upn);
  const scope = ctx.params.get('scope') ?? record.scopes.join(' ');
  const request = parseScopes(scope, tenant.domain);
  // Entra ID always answers a refresh with a new refresh token (rotation).
  request.oidc.add('offline_access');
  return delegatedResponse(ctx, tenant, app, user, request, clientAuth, ['pwd']);
}

/**
 * Redeems an authorization code from `/authorize`: once (AADSTS54005 after), within ten minutes
 * (AADSTS70008), with the same `redirect_uri` (AADSTS50011) and the PKCE `code_verifier` whose
 * S256 hash is the `code_challenge` (AADSTS50148).
 */
export async function authorizationCodeGrant(ctx: GrantContext): Promise<TokenResponseBody> {
  const { tenant, app, clientAuth } = await callingClient(ctx, true);
  const code = required(ctx.params, 'code');
  const record = findCode(ctx.state, code);
  if (!record || record.clientId !== app.clientId || record.tenantId !== tenant.id)
    throw new AadstsError(70000);
  if (record.redeemed) throw new AadstsError(54005);
  if (record.expiresAt <= ctx.state.now()) throw new AadstsError(70008);
  const redirectUri = required(ctx.params, 'redirect_uri');
  if (redirectUri !== record.redirectUri) throw new AadstsError(50011, [redirectUri, app.clientId]);
  if (record.codeChallenge !== undefined) {
    const verifier = required(ctx.params, 'code_verifier');
    const hash = createHash('sha256').update(verifier).digest('base64url');
    if (hash !== record.codeChallenge) throw new AadstsError(50148);
  }
  record.redeemed = true;
  const user = tenantUser(ctx.state, tenant, app, record.upn);
  const request = parseScopes(ctx.params.get('scope') ?? record.scope, tenant.domain);
  return delegatedResponse(ctx, tenant, app, user, request, clientAuth, record.amr);
}

const USER_CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

function userCode(): string {
  const bytes = randomBytes(9);
  return [...bytes].map((b) => USER_CODE_ALPHABET[b % USER_CODE_ALPHABET.length]).join('');
}

/** `POST /{tenant}/oauth2/v2.0/devicecode`: starts a device code flow. */
export async function deviceAuthorization(ctx: GrantContext): Promise<TokenResponseBody> {
  const tenant = resolveTenant(ctx);
  const app = resolveApp(tenant, required(ctx.params, 'client_id'));
  const scope = required(ctx.params, 'scope');
  parseScopes(scope, tenant.domain);
  ctx.state.pruneExpired();
  const code = userCode();
  const deviceCode = `SBX${randomBytes(32).toString('base64url')}`;
  const expiresIn = ctx.state.lifetimes.deviceCode;
  ctx.state.deviceCodes.set(deviceCode, {
    tenantId: tenant.id,
    clientId: app.clientId,
    scope,
    userCode: code,
    deviceCode,
    expiresAt: ctx.state.now() + expiresIn * 1000,
    status: 'pending',
  });
  const verificationUri = `${ctx.baseUrl}/devicelogin`;
  return {
    user_code: code,
    device_code: deviceCode,
    verification_uri: verificationUri,
    expires_in: expiresIn,
    interval: ctx.state.lifetimes.deviceCodeInterval,
    message: `To sign in, use a web browser to open the page ${verificationUri} and enter the code ${code} to authenticate.`,
  };
}

/** The device code grant: `authorization_pending` until a test (or /devicelogin) approves it. */
export async function deviceCodeGrant(ctx: GrantContext): Promise<TokenResponseBody> {
  const { tenant, app, clientAuth } = await callingClient(ctx, true);
  const record = issuedTo(ctx.state.deviceCodes, required(ctx.params, 'device_code'), { tenant, app });
  if (record.expiresAt <= ctx.state.now()) throw new AadstsError(70019);
  if (record.status === 'pending') throw new AadstsError(70016);
  if (record.status === 'denied') throw new AadstsError(70020);
  if (record.status === 'redeemed' || !record.upn) throw new AadstsError(70000);
  record.status = 'redeemed';
  const user = tenantUser(ctx.state, tenant, app, record.upn);
  const request = parseScopes(record.scope, tenant.domain);
  return delegatedResponse(ctx, tenant, app, user, request, clientAuth, ['pwd', 'mfa']);
}

function pendingDeviceCode(state: SandboxState, code: string) {
  const record = [...state.deviceCodes.values()].find((r) => r.userCode === code.toUpperCase());
  if (record?.status !== 'pending' || record.expiresAt <= state.now()) {
    throw new KalistoError(
      `[sandbox] No pending device code with user code "${code}" (unknown, expired or already used).`,
      { code: 'SANDBOX_NO_DEVICE_CODE' },
    );
  }
  return record;
}

/** What the user does at the verification page: sign in as `upn` and accept. */
export function approveDeviceCode(state: SandboxState, code: string, upn: string): void {
  if (!state.findUser(upn)) {
    throw new KalistoError(`[sandbox] No user "${upn}" in the sandbox directory.`, {
      code: 'SANDBOX_NO_USER',
    });
  }
  const record = pendingDeviceCode(state, code);
  record.status = 'approved';
  record.upn = upn.toLowerCase();
}

/** The user declines at the verification page: the next poll fails with authorization_declined. */
export function denyDeviceCode(state: SandboxState, code: string): void {
  pendingDeviceCode(state, code).status = 'denied';
}
