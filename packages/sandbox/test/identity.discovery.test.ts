import { request } from 'node:https';
import { PublicClientApplication } from '@azure/msal-node';
import { importJWK, type JWK, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandboxNetworkClient, type Sandbox, startSandbox } from '../src/index.js';
import { claimsOf } from './identity.helpers.js';

describe('discovery documents, JWKS, the device login page and lifetime hooks', () => {
  let sandbox: Sandbox;
  const get = <T>(path: string) =>
    createSandboxNetworkClient({ ca: sandbox.ca }).sendGetRequestAsync<T>(
      `${sandbox.endpoints.authority}${path}`,
    );

  beforeAll(async () => {
    sandbox = await startSandbox({ mail: false, lifetimes: { deviceCodeInterval: 0.05 } });
  });
  afterAll(async () => {
    await sandbox?.stop();
  });

  it('serves the OpenID configuration by tenant id and by domain, with the tenant id inside', async () => {
    for (const tenant of [sandbox.tenant.id, sandbox.tenant.domain]) {
      const { status, body } = await get<Record<string, string>>(
        `/${tenant}/v2.0/.well-known/openid-configuration`,
      );
      expect(status).toBe(200);
      expect(body).toMatchObject({
        issuer: `${sandbox.endpoints.authority}/${sandbox.tenant.id}/v2.0`,
        token_endpoint: sandbox.endpoints.tokenUrl,
        device_authorization_endpoint: `${sandbox.endpoints.authority}/${sandbox.tenant.id}/oauth2/v2.0/devicecode`,
        introspection_endpoint: sandbox.endpoints.introspectionUrl,
      });
    }
  });

  it('answers an unknown tenant’s discovery with AADSTS90002', async () => {
    const { status, body } = await get<{ error_codes: number[] }>(
      '/nowhere.example/v2.0/.well-known/openid-configuration',
    );
    expect(status).toBe(400);
    expect(body.error_codes).toEqual([90002]);
  });

  it('serves instance discovery, common and tenant-scoped, naming only itself', async () => {
    const host = new URL(sandbox.endpoints.authority).host;
    for (const path of ['/common/discovery/instance', `/${sandbox.tenant.id}/discovery/instance`]) {
      const { body } = await get<{ metadata: { aliases: string[] }[]; tenant_discovery_endpoint: string }>(
        `${path}?api-version=1.1&authorization_endpoint=x`,
      );
      expect(body.metadata).toEqual([{ preferred_network: host, preferred_cache: host, aliases: [host] }]);
      expect(body.tenant_discovery_endpoint).toBe(
        `${sandbox.endpoints.authority}/{tenant}/v2.0/.well-known/openid-configuration`,
      );
    }
  });

  it('publishes the signing key: a sandbox token verifies against the JWKS with jose', async () => {
    const { body } = await get<{ keys: JWK[] }>(`/${sandbox.tenant.id}/discovery/v2.0/keys`);
    const [jwk] = body.keys;
    expect(jwk).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    const minted = await sandbox.hooks.mintToken({ upn: sandbox.fixtures.users.adele.upn });
    const { payload, protectedHeader } = await jwtVerify(minted.token, await importJWK(jwk as JWK, 'RS256'), {
      issuer: `https://sts.windows.net/${sandbox.tenant.id}/`,
      audience: 'https://outlook.office.com',
    });
    expect(protectedHeader.kid).toBe(jwk?.kid);
    expect(payload.upn).toBe(sandbox.fixtures.users.adele.upn);
  });

  it('answers unknown paths with 404', async () => {
    expect((await get('/nothing/here')).status).toBe(404);
  });

  it('lets a person approve a device code at /devicelogin with a fixture password', async () => {
    const { megan } = sandbox.fixtures.users;
    const cfg = sandbox.msalConfig({ clientId: sandbox.fixtures.publicApp.clientId });
    const app = new PublicClientApplication({ auth: cfg.auth, system: cfg.system });
    const signIn = (form: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const req = request(
          `${sandbox.endpoints.authority}/devicelogin`,
          {
            method: 'POST',
            ca: sandbox.ca,
            agent: false,
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.end(new URLSearchParams(form).toString());
      });
    const result = await app.acquireTokenByDeviceCode({
      scopes: ['https://outlook.office.com/IMAP.AccessAsUser.All'],
      deviceCodeCallback: (response) => {
        void (async () => {
          expect(await signIn({ user_code: response.userCode, username: megan.upn, password: 'wrong' })).toBe(
            401,
          );
          expect(
            await signIn({ user_code: response.userCode, username: megan.upn, password: megan.password }),
          ).toBe(200);
        })();
      },
    });
    expect(result?.account?.username).toBe(megan.upn);
  });

  it('accepts the client secret in an HTTP Basic header (client_secret_basic), and refuses a wrong one', async () => {
    const { clientId, secret } = sandbox.fixtures.confidentialApp;
    const post = (basicSecret: string) =>
      createSandboxNetworkClient({ ca: sandbox.ca }).sendPostRequestAsync<Record<string, unknown>>(
        sandbox.endpoints.tokenUrl,
        {
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(basicSecret)}`).toString('base64')}`,
          },
          body: new URLSearchParams({
            grant_type: 'client_credentials',
            scope: 'https://outlook.office365.com/.default',
          }).toString(),
        },
      );
    const ok = await post(secret);
    expect(ok.status).toBe(200);
    expect(claimsOf(String(ok.body.access_token)).appidacr).toBe('1');
    const refused = await post('not the secret');
    expect(refused.status).toBe(401);
    expect(refused.body.error_codes).toEqual([7000215]);
  });

  it('setTokenLifetime changes the lifetime of tokens issued afterwards', async () => {
    sandbox.hooks.setTokenLifetime(120);
    try {
      const minted = await sandbox.hooks.mintToken({ upn: sandbox.fixtures.users.adele.upn });
      const claims = claimsOf(minted.token);
      expect(Number(claims.exp) - Number(claims.iat)).toBe(120);
    } finally {
      sandbox.hooks.setTokenLifetime(3599);
    }
  });

  it('revokeApp ends every token issued so far to the app', async () => {
    const minted = await sandbox.hooks.mintToken({ clientId: sandbox.fixtures.confidentialApp.clientId });
    expect(sandbox.hooks.introspect(minted.token).active).toBe(true);
    sandbox.hooks.revokeApp(sandbox.fixtures.confidentialApp.clientId);
    expect(sandbox.hooks.introspect(minted.token).active).toBe(false);
    expect(sandbox.verifier.isRevoked(minted.jti)).toBe(true);
  });
});
