/**
 * `/authorize` and the authorization_code grant over plain HTTPS requests (what a browser and an
 * app send), checked field by field against what Entra ID answers.
 */
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_MFA_CODE } from '../src/identity/authorize.js';
import { type Sandbox, startSandbox } from '../src/index.js';

const SCOPE = 'https://outlook.office.com/IMAP.AccessAsUser.All openid profile offline_access';
const REDIRECT = 'http://localhost:53117/';

interface Answer {
  status: number;
  location?: string;
  body: string;
}

describe('sandbox /authorize and the authorization code grant', () => {
  let sandbox: Sandbox;

  beforeAll(async () => {
    sandbox = await startSandbox({ mail: false });
  });
  afterAll(async () => {
    await sandbox?.stop();
  });

  const send = (method: string, path: string, form?: Record<string, string>) =>
    new Promise<Answer>((resolve, reject) => {
      const body = form ? new URLSearchParams(form).toString() : undefined;
      const req = request(
        new URL(path, sandbox.endpoints.authority),
        {
          method,
          ca: sandbox.ca,
          headers: body ? { 'content-type': 'application/x-www-form-urlencoded' } : {},
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            text += chunk;
          });
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, location: res.headers.location, body: text }),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });

  const pkce = () => {
    const verifier = randomBytes(32).toString('base64url');
    return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
  };

  const authorizePath = (query: Record<string, string>) =>
    `/${sandbox.tenant.id}/oauth2/v2.0/authorize?${new URLSearchParams(query)}`;

  const baseQuery = (challenge: string, clientId = sandbox.fixtures.publicApp.clientId) => ({
    client_id: clientId,
    response_type: 'code',
    redirect_uri: REDIRECT,
    scope: SCOPE,
    state: 'st-42',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });

  const flowOf = (page: string) => /name="flow" value="([^"]+)"/.exec(page)?.[1] ?? '';
  const post = (flow: string, fields: Record<string, string>) =>
    send('POST', `/${sandbox.tenant.id}/oauth2/v2.0/authorize`, { flow, ...fields });
  const redirectParams = (answer: Answer) => {
    expect(answer.status).toBe(302);
    const url = new URL(answer.location ?? '');
    expect(`${url.origin}${url.pathname}`).toBe(REDIRECT.replace(/\/$/, '/'));
    return url.searchParams;
  };
  const redeem = (fields: Record<string, string>) =>
    send('POST', `/${sandbox.tenant.id}/oauth2/v2.0/token`, {
      grant_type: 'authorization_code',
      client_id: sandbox.fixtures.publicApp.clientId,
      redirect_uri: REDIRECT,
      scope: SCOPE,
      ...fields,
    });

  const signIn = async (user: { upn: string; password: string }, query: Record<string, string>) => {
    const page = await send('GET', authorizePath(query));
    expect(page.status).toBe(200);
    const flow = flowOf(page.body);
    return {
      flow,
      answer: await post(flow, { action: 'signin', username: user.upn, password: user.password }),
    };
  };

  it('signs a user in and redirects with code and state; the code redeems once, with the PKCE verifier', async () => {
    const { verifier, challenge } = pkce();
    const { answer } = await signIn(sandbox.fixtures.users.adele, baseQuery(challenge));
    const params = redirectParams(answer);
    expect(params.get('state')).toBe('st-42');
    const code = params.get('code') ?? '';
    expect(code).not.toBe('');

    const wrong = await redeem({ code, code_verifier: pkce().verifier });
    expect(wrong.status).toBe(400);
    expect(JSON.parse(wrong.body)).toMatchObject({ error: 'invalid_grant', error_codes: [50148] });

    const ok = await redeem({ code, code_verifier: verifier });
    expect(ok.status).toBe(200);
    const tokens = JSON.parse(ok.body) as Record<string, string>;
    expect(tokens.access_token).toMatch(/^ey/);
    expect(tokens.refresh_token).toBeTruthy();
    expect(tokens.id_token).toMatch(/^ey/);

    const again = await redeem({ code, code_verifier: verifier });
    expect(JSON.parse(again.body)).toMatchObject({ error: 'invalid_grant', error_codes: [54005] });

    const refreshed = await send('POST', `/${sandbox.tenant.id}/oauth2/v2.0/token`, {
      grant_type: 'refresh_token',
      client_id: sandbox.fixtures.publicApp.clientId,
      refresh_token: tokens.refresh_token ?? '',
      scope: SCOPE,
    });
    expect(refreshed.status).toBe(200);
  });

  it('answers response_mode=form_post (what msal-node asks for) with a self-submitting form to the redirect URI', async () => {
    const { answer } = await signIn(sandbox.fixtures.users.adele, {
      ...baseQuery(pkce().challenge),
      response_mode: 'form_post',
    });
    expect(answer.status).toBe(200);
    expect(answer.location).toBeUndefined();
    expect(answer.body).toContain(`<form method="post" action="${REDIRECT}">`);
    expect(answer.body).toMatch(/name="code" value="SBXAC[\w-]+"/);
    expect(answer.body).toContain('name="state" value="st-42"');
  });

  it('refuses a wrong password on the page and never redirects', async () => {
    const { answer } = await signIn(
      { upn: sandbox.fixtures.users.adele.upn, password: 'not-the-password' },
      baseQuery(pkce().challenge),
    );
    expect(answer.status).toBe(401);
    expect(answer.body).toContain('Your account or password is incorrect.');
  });

  it('asks the MFA user for the one-time code (AADSTS50076) and puts mfa in amr', async () => {
    const { verifier, challenge } = pkce();
    const { flow, answer } = await signIn(sandbox.fixtures.users.isaiah, baseQuery(challenge));
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('AADSTS50076: Due to a configuration change made by your administrator');
    const wrong = await post(flow, { action: 'otp', otp: '000000' });
    expect(wrong.status).toBe(401);
    const params = redirectParams(await post(flow, { action: 'otp', otp: SANDBOX_MFA_CODE }));
    const ok = await redeem({ code: params.get('code') ?? '', code_verifier: verifier });
    const access = (JSON.parse(ok.body) as { access_token: string }).access_token;
    const claims = JSON.parse(Buffer.from(access.split('.')[1] ?? '', 'base64url').toString()) as {
      amr: string[];
    };
    expect(claims.amr).toEqual(['pwd', 'mfa']);
  });

  it('shows the consent page for an app without admin consent; accepting lets the user redeem (and ROPC) for it', async () => {
    const clientId = sandbox.fixtures.unconsentedApp.clientId;
    const user = sandbox.fixtures.users.megan;
    const ropc = () =>
      send('POST', `/${sandbox.tenant.id}/oauth2/v2.0/token`, {
        grant_type: 'password',
        client_id: clientId,
        username: user.upn,
        password: user.password,
        scope: SCOPE,
      });
    expect(JSON.parse((await ropc()).body)).toMatchObject({
      error_codes: [65001],
      suberror: 'consent_required',
    });

    const silent = await send(
      'GET',
      authorizePath({ ...baseQuery(pkce().challenge, clientId), prompt: 'none' }),
    );
    const none = await post(flowOf(silent.body), {
      action: 'signin',
      username: user.upn,
      password: user.password,
    });
    const noneParams = redirectParams(none);
    expect(noneParams.get('error')).toBe('invalid_grant');
    expect(noneParams.get('error_description')).toMatch(
      /^AADSTS65001: The user or administrator has not consented/,
    );

    const { verifier, challenge } = pkce();
    const { flow, answer } = await signIn(user, baseQuery(challenge, clientId));
    expect(answer.body).toContain('permissions requested');
    const params = redirectParams(await post(flow, { action: 'consent' }));
    const ok = await redeem({ code: params.get('code') ?? '', code_verifier: verifier, client_id: clientId });
    expect(ok.status).toBe(200);
    expect((await ropc()).status).toBe(200);
  });

  it('redirects a cancelled sign-in with access_denied and AADSTS65004, keeping state', async () => {
    const page = await send('GET', authorizePath(baseQuery(pkce().challenge)));
    const params = redirectParams(await post(flowOf(page.body), { action: 'cancel' }));
    expect(params.get('error')).toBe('access_denied');
    expect(params.get('error_description')).toMatch(
      /^AADSTS65004: User declined to consent to access the app\./,
    );
    expect(params.get('state')).toBe('st-42');
    expect(params.get('code')).toBeNull();
  });

  it('accepts any loopback port but shows an error page (no redirect) for other redirect URIs', async () => {
    const other = await send(
      'GET',
      authorizePath({ ...baseQuery(pkce().challenge), redirect_uri: 'https://attacker.example/cb' }),
    );
    expect(other.status).toBe(400);
    expect(other.location).toBeUndefined();
    expect(other.body).toContain('AADSTS50011');
    const port = await send(
      'GET',
      authorizePath({ ...baseQuery(pkce().challenge), redirect_uri: 'http://127.0.0.1:1/x' }),
    );
    expect(port.status).toBe(200);
  });

  it('requires PKCE S256 from public clients', async () => {
    const { code_challenge: _, ...noChallenge } = baseQuery('x');
    const missing = redirectParams(await send('GET', authorizePath(noChallenge)));
    expect(missing.get('error_description')).toMatch(/^AADSTS900144: .*'code_challenge'/);
    const plain = redirectParams(
      await send('GET', authorizePath({ ...baseQuery('x'), code_challenge_method: 'plain' })),
    );
    expect(plain.get('error_description')).toMatch(/^AADSTS900144: .*'code_challenge_method'/);
  });
});
