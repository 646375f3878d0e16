/**
 * Issues the sandbox's tokens: RS256 access tokens with the claims Exchange Online's v1 tokens
 * carry, v2 id tokens and `client_info` so MSAL can build accounts, and opaque refresh tokens.
 */
import { createHash, generateKeyPair, type KeyObject, randomBytes, randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { calculateJwkThumbprint, exportJWK, type JWK, SignJWT } from 'jose';
import type { SandboxApp, SandboxState, SandboxTenant, SandboxUser } from '../state.js';

/** The key pair the sandbox signs every token with; its public half is the JWKS. */
export interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly jwk: JWK;
}

/** Generates a fresh RSA-2048 signing key; its `kid` is the JWK thumbprint. */
export async function createSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { kid, privateKey, publicKey, jwk: { ...jwk, kid, use: 'sig', alg: 'RS256', kty: 'RSA' } };
}

/** How the client proved itself: `appidacr` 0 (public), 1 (secret), 2 (certificate). */
export type ClientAuthMethod = 'public' | 'secret' | 'certificate';

/** What an access token is issued for. */
export interface AccessTokenRequest {
  tenant: SandboxTenant;
  app: SandboxApp;
  audience: string;
  /** Delegated: the signed-in user and the granted `scp`. */
  user?: SandboxUser;
  scp?: readonly string[];
  /** App-only: the granted `roles`. */
  roles?: readonly string[];
  clientAuth: ClientAuthMethod;
  /** Authentication methods (`amr`) for delegated tokens. Default `['pwd']`. */
  amr?: readonly string[];
  /** Lifetime in seconds; default the sandbox's access-token lifetime. Negative gives an expired token. */
  lifetimeSeconds?: number;
  /** Claims to add or override (tests: a foreign issuer, a wrong tid). */
  extraClaims?: Record<string, unknown>;
}

/** A signed access token and the facts the sandbox keeps about it. */
export interface IssuedAccessToken {
  token: string;
  jti: string;
  /** Epoch seconds. */
  exp: number;
  iat: number;
}

const ACR: Record<ClientAuthMethod, string> = { public: '0', secret: '1', certificate: '2' };

function pairwiseSubject(objectId: string, clientId: string): string {
  return createHash('sha256').update(`${objectId}:${clientId}`).digest('base64url').slice(0, 43);
}

/** `client_info` as Entra ID returns it: base64url JSON of the user's object id and home tenant. */
export function clientInfo(user: SandboxUser): string {
  return Buffer.from(JSON.stringify({ uid: user.objectId, utid: user.tenant.id })).toString('base64url');
}

/** Signs the sandbox's access tokens, id tokens and mints refresh tokens. */
export class TokenIssuer {
  constructor(
    private readonly state: SandboxState,
    private readonly key: SigningKey,
    /** The identity server's base URL (`https://127.0.0.1:PORT`), known once it listens. */
    private readonly baseUrl: () => string,
  ) {}

  private sign(claims: Record<string, unknown>): Promise<string> {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: this.key.kid })
      .sign(this.key.privateKey);
  }

  /** An Exchange-style (v1) access token; remembered for revocation and introspection. */
  async accessToken(request: AccessTokenRequest): Promise<IssuedAccessToken> {
    const { tenant, app, user } = request;
    const iat = this.state.nowSeconds();
    const exp = iat + (request.lifetimeSeconds ?? this.state.lifetimes.accessToken);
    const jti = randomBytes(16).toString('base64url');
    const common = {
      aud: request.audience,
      iss: `https://sts.windows.net/${tenant.id}/`,
      iat,
      nbf: iat,
      exp,
      aio: randomBytes(24).toString('base64url'),
      app_displayname: app.displayName,
      appid: app.clientId,
      appidacr: ACR[request.clientAuth],
      rh: `0.${randomBytes(12).toString('base64url')}.`,
      tid: tenant.id,
      uti: jti,
      jti,
      ver: '1.0',
    };
    const claims: Record<string, unknown> = user
      ? {
          ...common,
          acct: 0,
          acr: '1',
          amr: request.amr ?? ['pwd'],
          idtyp: 'user',
          ipaddr: '127.0.0.1',
          name: user.displayName,
          oid: user.objectId,
          scp: (request.scp ?? []).join(' '),
          sid: randomUUID(),
          sub: pairwiseSubject(user.objectId, app.clientId),
          unique_name: user.upn,
          upn: user.upn,
        }
      : {
          ...common,
          idp: `https://sts.windows.net/${tenant.id}/`,
          idtyp: 'app',
          oid: app.objectId,
          roles: [...(request.roles ?? [])],
          sub: app.objectId,
        };
    if (!user && claims.roles && (claims.roles as unknown[]).length === 0) delete claims.roles;
    Object.assign(claims, request.extraClaims);
    const principal = user ? user.upn : `app:${app.clientId}`;
    this.state.rememberToken({ jti, principal, sequence: this.state.nextSequence(), iat, exp });
    return { token: await this.sign(claims), jti, exp, iat };
  }

  /** A v2 id token for the app (MSAL reads tid, oid, preferred_username and name from it). */
  idToken(tenant: SandboxTenant, app: SandboxApp, user: SandboxUser): Promise<string> {
    const iat = this.state.nowSeconds();
    return this.sign({
      aud: app.clientId,
      iss: `${this.baseUrl()}/${tenant.id}/v2.0`,
      iat,
      nbf: iat,
      exp: iat + this.state.lifetimes.accessToken,
      name: user.displayName,
      oid: user.objectId,
      preferred_username: user.upn,
      rh: `0.${randomBytes(12).toString('base64url')}.`,
      sub: pairwiseSubject(user.objectId, app.clientId),
      tid: tenant.id,
      uti: randomBytes(16).toString('base64url'),
      ver: '2.0',
    });
  }

  /** A new opaque refresh token for (tenant, app, user, scopes). */
  refreshToken(tenant: SandboxTenant, app: SandboxApp, user: SandboxUser, scopes: readonly string[]): string {
    this.state.pruneExpired();
    const token = `1.sbx.${randomBytes(48).toString('base64url')}`;
    const iat = this.state.nowSeconds();
    this.state.refreshTokens.set(token, {
      tenantId: tenant.id,
      clientId: app.clientId,
      upn: user.upn,
      scopes,
      sequence: this.state.nextSequence(),
      iat,
      exp: iat + this.state.lifetimes.refreshToken,
    });
    return token;
  }
}
