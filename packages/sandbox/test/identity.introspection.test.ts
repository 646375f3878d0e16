import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../src/index.js';

function post(
  sandbox: Sandbox,
  path: string,
  form: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${sandbox.endpoints.authority}${path}`,
      {
        method: 'POST',
        ca: sandbox.ca,
        agent: false,
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }),
        );
      },
    );
    req.on('error', reject);
    req.end(new URLSearchParams(form).toString());
  });
}

describe('RFC 7662 introspection (what Dovecot’s oauth2 passdb asks)', () => {
  let sandbox: Sandbox;
  let other: Sandbox;
  let clockOffsetMs = 0;

  beforeAll(async () => {
    sandbox = await startSandbox({ mail: false, clock: () => Date.now() + clockOffsetMs });
    other = await startSandbox({ mail: false });
  });
  afterAll(async () => {
    await sandbox?.stop();
    await other?.stop();
  });

  it('answers active with the username, scope and expiry of a delegated token', async () => {
    const { adele } = sandbox.fixtures.users;
    const minted = await sandbox.hooks.mintToken({ upn: adele.upn });
    const { status, body } = await post(sandbox, '/introspect', { token: minted.token });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      active: true,
      username: adele.upn,
      scope: 'IMAP.AccessAsUser.All POP.AccessAsUser.All SMTP.Send',
      exp: minted.expiresAt / 1000,
      jti: minted.jti,
      tid: sandbox.tenant.id,
      token_type: 'Bearer',
    });
  });

  it('answers active for an app-only token, with its roles as scope and no username', async () => {
    const minted = await sandbox.hooks.mintToken({ clientId: sandbox.fixtures.confidentialApp.clientId });
    const { body } = await post(sandbox, '/introspect', { token: minted.token });
    expect(body).toMatchObject({ active: true, client_id: sandbox.fixtures.confidentialApp.clientId });
    expect(body.username).toBeUndefined();
    expect(body.roles).toEqual(['IMAP.AccessAsApp', 'POP.AccessAsApp', 'SMTP.SendAsApp']);
  });

  it('answers inactive once the token is revoked, or its user is', async () => {
    const { adele, megan } = sandbox.fixtures.users;
    const byJti = await sandbox.hooks.mintToken({ upn: adele.upn });
    sandbox.hooks.revokeToken(byJti.jti);
    expect((await post(sandbox, '/introspect', { token: byJti.token })).body).toEqual({ active: false });

    const byUser = await sandbox.hooks.mintToken({ upn: megan.upn });
    sandbox.hooks.revokeUser(megan.upn);
    expect((await post(sandbox, '/introspect', { token: byUser.token })).body).toEqual({ active: false });
  });

  it('answers inactive for an expired token, by the sandbox clock', async () => {
    const minted = await sandbox.hooks.mintToken({
      upn: sandbox.fixtures.users.alex.upn,
      lifetimeSeconds: 60,
    });
    expect((await post(sandbox, '/introspect', { token: minted.token })).body.active).toBe(true);
    clockOffsetMs = 61_000;
    try {
      expect((await post(sandbox, '/introspect', { token: minted.token })).body).toEqual({ active: false });
    } finally {
      clockOffsetMs = 0;
    }
    const expired = await sandbox.hooks.mintToken({
      upn: sandbox.fixtures.users.alex.upn,
      lifetimeSeconds: -10,
    });
    expect((await post(sandbox, '/introspect', { token: expired.token })).body).toEqual({ active: false });
  });

  it('answers inactive for garbage and for another sandbox’s tokens', async () => {
    expect((await post(sandbox, '/introspect', { token: 'not-a-jwt' })).body).toEqual({ active: false });
    const foreign = await other.hooks.mintToken({ upn: other.fixtures.users.adele.upn });
    expect((await post(sandbox, '/introspect', { token: foreign.token })).body).toEqual({ active: false });
  });

  it('asks for the token parameter', async () => {
    const { status, body } = await post(sandbox, '/introspect', {});
    expect(status).toBe(400);
    expect(body.error).toBe('invalid_request');
  });
});

describe('introspection with configured client credentials', () => {
  let sandbox: Sandbox;
  const introspection = { clientId: 'dovecot', clientSecret: 'dovecot-introspection-secret' };

  beforeAll(async () => {
    sandbox = await startSandbox({ mail: false, introspection });
  });
  afterAll(async () => {
    await sandbox?.stop();
  });

  it('refuses callers without the credentials and answers those with HTTP Basic', async () => {
    const minted = await sandbox.hooks.mintToken({ upn: sandbox.fixtures.users.adele.upn });
    const refused = await post(sandbox, '/introspect', { token: minted.token });
    expect(refused.status).toBe(401);
    const basic = Buffer.from(`${introspection.clientId}:${introspection.clientSecret}`).toString('base64');
    const answered = await post(
      sandbox,
      '/introspect',
      { token: minted.token },
      { authorization: `Basic ${basic}` },
    );
    expect(answered.body.active).toBe(true);
    const form = await post(sandbox, '/introspect', {
      token: minted.token,
      client_id: introspection.clientId,
      client_secret: introspection.clientSecret,
    });
    expect(form.body.active).toBe(true);
  });
});
