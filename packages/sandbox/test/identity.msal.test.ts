import { setTimeout as sleep } from 'node:timers/promises';
import {
  ConfidentialClientApplication,
  type NodeAuthOptions,
  PublicClientApplication,
} from '@azure/msal-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../src/index.js';
import { claimsOf, type RecordingNetworkClient, recordingNetworkClient } from './identity.helpers.js';

const EXCHANGE_APP_SCOPE = 'https://outlook.office365.com/.default';
const IMAP_SCOPE = 'https://outlook.office.com/IMAP.AccessAsUser.All';

describe('the real @azure/msal-node against the sandbox identity platform', () => {
  let sandbox: Sandbox;
  let net: RecordingNetworkClient;

  beforeAll(async () => {
    sandbox = await startSandbox({ mail: false, lifetimes: { deviceCodeInterval: 0.05 } });
  });
  afterAll(async () => {
    await sandbox?.stop();
  });

  const confidential = (credential: Pick<NodeAuthOptions, 'clientSecret' | 'clientCertificate'>) => {
    net = recordingNetworkClient(sandbox.ca);
    const cfg = sandbox.msalConfig({ networkClient: net.client });
    return new ConfidentialClientApplication({ auth: { ...cfg.auth, ...credential }, system: cfg.system });
  };
  const publicClient = () => {
    net = recordingNetworkClient(sandbox.ca);
    const cfg = sandbox.msalConfig({
      clientId: sandbox.fixtures.publicApp.clientId,
      networkClient: net.client,
    });
    return new PublicClientApplication({ auth: cfg.auth, system: cfg.system });
  };
  const onlySandboxUrls = () => {
    expect(net.urls.length).toBeGreaterThan(0);
    for (const url of net.urls) expect(new URL(url).origin).toBe(sandbox.endpoints.authority);
  };

  it('gets an app-only Exchange token with a client secret, asking nothing but the token endpoint', async () => {
    const app = confidential({ clientSecret: sandbox.fixtures.confidentialApp.secret });
    const result = await app.acquireTokenByClientCredential({ scopes: [EXCHANGE_APP_SCOPE] });
    expect(result?.accessToken).toBeTruthy();
    const claims = claimsOf(result?.accessToken ?? '');
    expect(claims).toMatchObject({
      aud: 'https://outlook.office365.com',
      iss: `https://sts.windows.net/${sandbox.tenant.id}/`,
      tid: sandbox.tenant.id,
      appid: sandbox.fixtures.confidentialApp.clientId,
      oid: sandbox.fixtures.confidentialApp.objectId,
      appidacr: '1',
      idtyp: 'app',
    });
    expect(claims.roles).toEqual(['IMAP.AccessAsApp', 'POP.AccessAsApp', 'SMTP.SendAsApp']);
    expect(typeof claims.jti).toBe('string');
    expect(net.urls).toEqual([expect.stringMatching(/\/oauth2\/v2\.0\/token\?/)]);
    onlySandboxUrls();
  });

  it('gets an app-only token with a certificate (PS256 client assertion, x5t#S256)', async () => {
    const { certificate } = sandbox.fixtures.confidentialApp;
    const app = confidential({
      clientCertificate: {
        thumbprintSha256: certificate.thumbprintSha256,
        privateKey: certificate.privateKey,
      },
    });
    const result = await app.acquireTokenByClientCredential({ scopes: [EXCHANGE_APP_SCOPE] });
    expect(claimsOf(result?.accessToken ?? '')).toMatchObject({ appidacr: '2', idtyp: 'app' });
    onlySandboxUrls();
  });

  it('gets an app-only token with a certificate (RS256 client assertion, SHA-1 x5t)', async () => {
    const { certificate } = sandbox.fixtures.confidentialApp;
    const app = confidential({
      clientCertificate: { thumbprint: certificate.thumbprint, privateKey: certificate.privateKey },
    });
    const result = await app.acquireTokenByClientCredential({ scopes: [EXCHANGE_APP_SCOPE] });
    expect(claimsOf(result?.accessToken ?? '')).toMatchObject({ appidacr: '2' });
    onlySandboxUrls();
  });

  it('with knownAuthorities alone, MSAL reads the OpenID configuration from the sandbox and nowhere else', async () => {
    net = recordingNetworkClient(sandbox.ca);
    const cfg = sandbox.msalConfig({ networkClient: net.client, tenant: sandbox.tenant.domain });
    const app = new ConfidentialClientApplication({
      auth: {
        clientId: cfg.auth.clientId,
        authority: cfg.auth.authority,
        knownAuthorities: cfg.auth.knownAuthorities,
        clientSecret: sandbox.fixtures.confidentialApp.secret,
      },
      system: cfg.system,
    });
    const result = await app.acquireTokenByClientCredential({ scopes: [EXCHANGE_APP_SCOPE] });
    expect(claimsOf(result?.accessToken ?? '').tid).toBe(sandbox.tenant.id);
    expect(net.urls[0]).toBe(
      `${sandbox.endpoints.authority}/${sandbox.tenant.domain}/v2.0/.well-known/openid-configuration`,
    );
    expect(net.urls).toHaveLength(2);
    onlySandboxUrls();
  });

  it('issues a Graph-audience token when Graph is asked for (for the claims audit)', async () => {
    const app = confidential({ clientSecret: sandbox.fixtures.confidentialApp.secret });
    const result = await app.acquireTokenByClientCredential({
      scopes: ['https://graph.microsoft.com/.default'],
    });
    expect(claimsOf(result?.accessToken ?? '')).toMatchObject({
      aud: 'https://graph.microsoft.com',
      roles: ['Mail.Read', 'Mail.ReadWrite', 'Mail.Send'],
    });
  });

  it('signs a user in with the password grant and builds an MSAL account from id_token + client_info', async () => {
    const { adele } = sandbox.fixtures.users;
    const app = publicClient();
    const result = await app.acquireTokenByUsernamePassword({
      scopes: [IMAP_SCOPE, 'https://outlook.office.com/SMTP.Send'],
      username: adele.upn,
      password: adele.password,
    });
    expect(result?.account).toMatchObject({
      username: adele.upn,
      tenantId: sandbox.tenant.id,
      homeAccountId: expect.stringMatching(new RegExp(`\\.${sandbox.tenant.id}$`)),
    });
    expect(claimsOf(result?.accessToken ?? '')).toMatchObject({
      aud: 'https://outlook.office.com',
      upn: adele.upn,
      scp: 'IMAP.AccessAsUser.All SMTP.Send',
      appidacr: '0',
      idtyp: 'user',
    });
    expect(result?.scopes).toEqual(expect.arrayContaining([IMAP_SCOPE]));
    onlySandboxUrls();
  });

  it('expands `.default` to the consented delegated permissions', async () => {
    const { adele } = sandbox.fixtures.users;
    const result = await publicClient().acquireTokenByUsernamePassword({
      scopes: ['https://outlook.office.com/.default'],
      username: adele.upn,
      password: adele.password,
    });
    expect(claimsOf(result?.accessToken ?? '').scp).toBe(
      'IMAP.AccessAsUser.All POP.AccessAsUser.All SMTP.Send',
    );
  });

  it('redeems and rotates a refresh token; the redeemed one stays valid until it expires', async () => {
    const { megan } = sandbox.fixtures.users;
    const app = publicClient();
    await app.acquireTokenByUsernamePassword({
      scopes: [IMAP_SCOPE],
      username: megan.upn,
      password: megan.password,
    });
    const cache = JSON.parse(app.getTokenCache().serialize()) as {
      RefreshToken: Record<string, { secret: string }>;
    };
    const first = Object.values(cache.RefreshToken)[0]?.secret ?? '';
    expect(first).toMatch(/^1\.sbx\./);

    const refreshed = await app.acquireTokenByRefreshToken({ refreshToken: first, scopes: [IMAP_SCOPE] });
    expect(claimsOf(refreshed?.accessToken ?? '')).toMatchObject({ upn: megan.upn });
    const rotated = JSON.parse(app.getTokenCache().serialize()) as typeof cache;
    const second = Object.values(rotated.RefreshToken)[0]?.secret ?? '';
    expect(second).not.toBe(first);

    const again = await app.acquireTokenByRefreshToken({ refreshToken: first, scopes: [IMAP_SCOPE] });
    expect(again?.accessToken).toBeTruthy();
    expect(sandbox.hooks.requestCounts().refresh_token).toBeGreaterThanOrEqual(2);
    onlySandboxUrls();
  });

  it('completes the device code flow once the test hook approves it, after authorization_pending', async () => {
    const { adele } = sandbox.fixtures.users;
    const before = sandbox.hooks.requestCounts().device_code;
    const app = publicClient();
    const result = await app.acquireTokenByDeviceCode({
      scopes: [IMAP_SCOPE],
      deviceCodeCallback: (response) => {
        expect(response.verificationUri).toBe(`${sandbox.endpoints.authority}/devicelogin`);
        void (async () => {
          // Approve only after the first poll has been answered `authorization_pending`.
          for (let i = 0; i < 500 && sandbox.hooks.requestCounts().device_code === before; i++)
            await sleep(10);
          sandbox.hooks.approveDeviceCode(response.userCode, adele.upn);
        })();
      },
    });
    expect(result?.account?.username).toBe(adele.upn);
    expect(claimsOf(result?.accessToken ?? '')).toMatchObject({ amr: ['pwd', 'mfa'], upn: adele.upn });
    expect(sandbox.hooks.requestCounts().device_code - before).toBeGreaterThanOrEqual(2);
    onlySandboxUrls();
  });
});
