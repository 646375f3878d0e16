import { randomUUID } from 'node:crypto';
import { ConfidentialClientApplication, PublicClientApplication } from '@azure/msal-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../src/index.js';

const IMAP_SCOPE = 'https://outlook.office.com/IMAP.AccessAsUser.All';
const APP_SCOPE = 'https://outlook.office365.com/.default';

interface MsalFailure {
  name: string;
  errorCode: string;
  errorNo?: number | string;
  subError: string;
  correlationId: string;
  errorMessage: string;
  status?: number;
}

describe('AADSTS errors reach the real MSAL with Microsoft’s fields', () => {
  let sandbox: Sandbox;
  let clockOffsetMs = 0;

  beforeAll(async () => {
    sandbox = await startSandbox({ mail: false, clock: () => Date.now() + clockOffsetMs });
  });
  afterAll(async () => {
    await sandbox?.stop();
  });

  const confidential = (clientId: string, clientSecret: string, tenant?: string) => {
    const cfg = sandbox.msalConfig({ clientId, tenant });
    return new ConfidentialClientApplication({ auth: { ...cfg.auth, clientSecret }, system: cfg.system });
  };
  const publicApp = (clientId = sandbox.fixtures.publicApp.clientId) => {
    const cfg = sandbox.msalConfig({ clientId });
    return new PublicClientApplication({ auth: cfg.auth, system: cfg.system });
  };
  const ropc = (
    app: PublicClientApplication | ConfidentialClientApplication,
    upn: string,
    password: string,
    correlationId: string,
    scopes = [IMAP_SCOPE],
  ) => app.acquireTokenByUsernamePassword({ scopes, username: upn, password, correlationId });

  const failure = async (run: (correlationId: string) => Promise<unknown>) => {
    const correlationId = randomUUID();
    const error = (await run(correlationId).then(
      () => {
        throw new Error('expected the token request to fail');
      },
      (e: unknown) => e,
    )) as MsalFailure;
    return { error, correlationId };
  };

  const cases: {
    code: number;
    error: string;
    subError?: string;
    /** ServerError carries the HTTP status for client credentials. */
    status?: number;
    run: (correlationId: string) => Promise<unknown>;
  }[] = [
    {
      code: 90002,
      error: 'invalid_request',
      status: 400,
      run: (correlationId) =>
        confidential(
          sandbox.fixtures.confidentialApp.clientId,
          sandbox.fixtures.confidentialApp.secret,
          'nowhere.example',
        ).acquireTokenByClientCredential({ scopes: [APP_SCOPE], correlationId }),
    },
    {
      code: 700016,
      error: 'unauthorized_client',
      status: 400,
      run: (correlationId) =>
        confidential(randomUUID(), 'whatever').acquireTokenByClientCredential({
          scopes: [APP_SCOPE],
          correlationId,
        }),
    },
    {
      code: 7000215,
      error: 'invalid_client',
      status: 401,
      run: (correlationId) =>
        // The secret's ID instead of its value: the classic mistake.
        confidential(
          sandbox.fixtures.confidentialApp.clientId,
          sandbox.fixtures.confidentialApp.secretId,
        ).acquireTokenByClientCredential({ scopes: [APP_SCOPE], correlationId }),
    },
    {
      code: 7000222,
      error: 'invalid_client',
      status: 401,
      run: (correlationId) =>
        confidential(
          sandbox.fixtures.confidentialApp.clientId,
          sandbox.fixtures.confidentialApp.expiredSecret,
        ).acquireTokenByClientCredential({ scopes: [APP_SCOPE], correlationId }),
    },
    {
      code: 7000218,
      error: 'invalid_client',
      run: (correlationId) => {
        const { adele } = sandbox.fixtures.users;
        return ropc(
          publicApp(sandbox.fixtures.confidentialApp.clientId),
          adele.upn,
          adele.password,
          correlationId,
        );
      },
    },
    {
      code: 700025,
      error: 'invalid_client',
      run: (correlationId) => {
        const { adele } = sandbox.fixtures.users;
        const app = confidential(
          sandbox.fixtures.publicApp.clientId,
          'a-secret-a-public-client-must-not-send',
        );
        return ropc(app, adele.upn, adele.password, correlationId);
      },
    },
    {
      code: 50126,
      error: 'invalid_grant',
      run: (correlationId) =>
        ropc(publicApp(), sandbox.fixtures.users.adele.upn, 'wrong password', correlationId),
    },
    {
      code: 50076,
      error: 'invalid_grant',
      subError: 'basic_action',
      run: (correlationId) => {
        const { isaiah } = sandbox.fixtures.users;
        return ropc(publicApp(), isaiah.upn, isaiah.password, correlationId);
      },
    },
    {
      code: 65001,
      error: 'invalid_grant',
      subError: 'consent_required',
      run: (correlationId) => {
        const { adele } = sandbox.fixtures.users;
        return ropc(
          publicApp(sandbox.fixtures.unconsentedApp.clientId),
          adele.upn,
          adele.password,
          correlationId,
        );
      },
    },
    {
      code: 70011,
      error: 'invalid_scope',
      run: (correlationId) => {
        const { adele } = sandbox.fixtures.users;
        // An application permission asked for as a delegated scope.
        return ropc(publicApp(), adele.upn, adele.password, correlationId, [
          'https://outlook.office.com/IMAP.AccessAsApp',
        ]);
      },
    },
    {
      code: 1002012,
      error: 'invalid_scope',
      status: 400,
      run: (correlationId) =>
        confidential(
          sandbox.fixtures.confidentialApp.clientId,
          sandbox.fixtures.confidentialApp.secret,
        ).acquireTokenByClientCredential({
          scopes: ['https://outlook.office365.com/IMAP.AccessAsApp'],
          correlationId,
        }),
    },
    {
      code: 500011,
      error: 'invalid_resource',
      status: 400,
      run: (correlationId) =>
        confidential(
          sandbox.fixtures.confidentialApp.clientId,
          sandbox.fixtures.confidentialApp.secret,
        ).acquireTokenByClientCredential({ scopes: ['https://mail.example.org/.default'], correlationId }),
    },
    {
      code: 50020,
      error: 'invalid_grant',
      run: (correlationId) => {
        const { foreign } = sandbox.fixtures.users;
        return ropc(publicApp(), foreign.upn, foreign.password, correlationId);
      },
    },
  ];

  for (const c of cases) {
    it(`AADSTS${c.code} arrives as ${c.error}${c.subError ? `/${c.subError}` : ''}`, async () => {
      const { error, correlationId } = await failure(c.run);
      expect(error.name).toMatch(/ServerError|InteractionRequiredAuthError/);
      expect(error.errorCode).toBe(c.error);
      expect(Number(error.errorNo)).toBe(c.code);
      expect(error.subError).toBe(c.subError ?? '');
      expect(error.correlationId).toBe(correlationId);
      expect(error.errorMessage).toContain(`AADSTS${c.code}: `);
      expect(error.errorMessage).toContain(`Correlation ID: ${correlationId}`);
      if (c.status !== undefined) expect(error.status).toBe(c.status);
    });
  }

  it('AADSTS700082 for a refresh token past its 90 days, AADSTS50173 for a revoked user', async () => {
    const { adele, megan } = sandbox.fixtures.users;
    const app = publicApp();
    const refreshTokenOf = async (upn: string, password: string) => {
      await app.acquireTokenByUsernamePassword({ scopes: [IMAP_SCOPE], username: upn, password });
      const cache = JSON.parse(app.getTokenCache().serialize()) as {
        RefreshToken: Record<string, { secret: string; home_account_id: string }>;
      };
      const entry = Object.values(cache.RefreshToken).find(
        (rt) => rt.home_account_id.length > 0 && rt.secret,
      );
      return entry?.secret ?? '';
    };
    const adeleRt = await refreshTokenOf(adele.upn, adele.password);
    sandbox.hooks.revokeUser(adele.upn);
    const revoked = await failure((correlationId) =>
      app.acquireTokenByRefreshToken({ refreshToken: adeleRt, scopes: [IMAP_SCOPE], correlationId }),
    );
    expect(Number(revoked.error.errorNo)).toBe(50173);
    expect(revoked.error.subError).toBe('bad_token');

    const meganRt = await refreshTokenOf(megan.upn, megan.password);
    clockOffsetMs = 91 * 86_400_000;
    try {
      const expired = await failure((correlationId) =>
        app.acquireTokenByRefreshToken({ refreshToken: meganRt, scopes: [IMAP_SCOPE], correlationId }),
      );
      expect(expired.error.errorCode).toBe('invalid_grant');
      expect(Number(expired.error.errorNo)).toBe(700082);
      expect(expired.error.correlationId).toBe(expired.correlationId);
    } finally {
      clockOffsetMs = 0;
    }
  });

  it('a declined device code ends MSAL’s polling with authorization_declined', async () => {
    const app = publicApp();
    sandbox.state.lifetimes.deviceCodeInterval = 0.05;
    const attempt = app.acquireTokenByDeviceCode({
      scopes: [IMAP_SCOPE],
      deviceCodeCallback: (response) => sandbox.hooks.denyDeviceCode(response.userCode),
    });
    await expect(attempt).rejects.toMatchObject({
      errorMessage: expect.stringContaining('authorization_declined'),
    });
  });

  it('hooks.expireSecret turns a working secret into AADSTS7000222', async () => {
    const { clientId, secret } = sandbox.fixtures.foreignApp;
    const app = confidential(clientId, secret, sandbox.fixtures.foreignTenant.id);
    await expect(app.acquireTokenByClientCredential({ scopes: [APP_SCOPE] })).resolves.toBeTruthy();
    sandbox.hooks.expireSecret(clientId);
    const { error } = await failure((correlationId) =>
      confidential(clientId, secret, sandbox.fixtures.foreignTenant.id).acquireTokenByClientCredential({
        scopes: [APP_SCOPE],
        correlationId,
      }),
    );
    expect(Number(error.errorNo)).toBe(7000222);
  });
});
