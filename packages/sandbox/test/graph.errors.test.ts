/**
 * The sandbox's Graph fails the way Microsoft Graph does: Graph's error shape, 401 with
 * WWW-Authenticate for missing, expired, revoked or Exchange-audience tokens, 403 for a missing
 * role, an application access policy or SendAs, 404 for unknown users and REST-disabled mailboxes,
 * 507 for a full mailbox, 413 over the size limit, 429/503 with Retry-After from the hooks — and
 * no token or secret ever comes back in an answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../src/index.js';
import { appGraphToken, GraphClient, type GraphReply, mimeMessage, userToken } from './graph.helpers.js';

describe('Graph errors, fixtures and hooks', () => {
  let sandbox: Sandbox;
  let graph: GraphClient;
  let token: string;
  let adele: string;
  let megan: string;
  const replies: GraphReply[] = [];

  beforeAll(async () => {
    sandbox = await startSandbox();
    graph = new GraphClient(sandbox);
    token = await appGraphToken(sandbox);
    adele = sandbox.fixtures.users.adele.upn;
    megan = sandbox.fixtures.users.megan.upn;
  });
  afterAll(async () => {
    graph?.close();
    await sandbox?.stop();
  });

  async function call(method: string, path: string, options: Parameters<GraphClient['call']>[2] = {}) {
    const reply = await graph.call(method, path, options);
    replies.push(reply);
    return reply;
  }
  const read = (user: string, withToken = token) =>
    call('GET', `/users/${user}/mailFolders/inbox`, { token: withToken });
  const sendAs = (user: string, from: string, withToken = token) =>
    call('POST', `/users/${user}/sendMail`, {
      token: withToken,
      body: mimeMessage({ from, to: megan, subject: `from ${from}` }).toString('base64'),
      contentType: 'text/plain',
    });
  const errorOf = (reply: GraphReply) => [reply.status, reply.json?.error?.code, reply.json?.error?.message];

  it('answers in Graph’s error shape, with request ids and Graph’s date form', async () => {
    const reply = await call('GET', `/users/${adele}/mailFolders/inbox`, {
      headers: { 'client-request-id': 'abc-123' },
    });
    expect(reply.json).toEqual({
      error: {
        code: 'InvalidAuthenticationToken',
        message: 'Access token is empty.',
        innerError: {
          date: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/),
          'request-id': reply.headers['request-id'],
          'client-request-id': 'abc-123',
        },
      },
    });
    expect(reply.status).toBe(401);
    expect(reply.headers['www-authenticate']).toBe(
      `Bearer realm="", authorization_uri="${sandbox.endpoints.authority}/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`,
    );
  });

  it('refuses an Exchange-audience token from MSAL, and expired, revoked and malformed tokens, with 401', async () => {
    const cfg = sandbox.msalConfig();
    const { ConfidentialClientApplication } = await import('@azure/msal-node');
    const msal = new ConfidentialClientApplication({
      auth: { ...cfg.auth, clientSecret: sandbox.fixtures.confidentialApp.secret },
      system: cfg.system,
    });
    const exchange = (
      await msal.acquireTokenByClientCredential({ scopes: ['https://outlook.office365.com/.default'] })
    )?.accessToken;
    expect(errorOf(await read(adele, exchange))).toEqual([
      401,
      'InvalidAuthenticationToken',
      'Access token validation failure. Invalid audience.',
    ]);
    const graphAudience = { audience: 'https://graph.microsoft.com', roles: ['Mail.Read'] };
    const expired = await sandbox.hooks.mintToken({ ...graphAudience, lifetimeSeconds: -60 });
    expect(errorOf(await read(adele, expired.token))[2]).toBe(
      'Lifetime validation failed, the token is expired.',
    );
    const revoked = await sandbox.hooks.mintToken(graphAudience);
    expect((await read(adele, revoked.token)).status).toBe(200);
    sandbox.hooks.revokeToken(revoked.jti);
    expect(errorOf(await read(adele, revoked.token)).slice(0, 2)).toEqual([
      401,
      'InvalidAuthenticationToken',
    ]);
    expect(errorOf(await read(adele, 'not-a-jwt'))[2]).toMatch(/^IDX14100: JWT is not well formed/);
    const noRoles = await sandbox.hooks.mintToken({ audience: 'https://graph.microsoft.com', roles: [] });
    expect(errorOf(await read(adele, noRoles.token))[2]).toBe(
      'Either scp or roles claim need to be present in the token.',
    );
  });

  it('403 ErrorAccessDenied for an app without the role the operation needs', async () => {
    const reader = await appGraphToken(sandbox, sandbox.fixtures.graph.readOnlyApp);
    expect((await read(adele, reader)).status).toBe(200);
    expect(errorOf(await sendAs(adele, adele, reader))).toEqual([
      403,
      'ErrorAccessDenied',
      'Access is denied. Check credentials and try again.',
    ]);
    const move = await call('PATCH', `/users/${adele}/messages/AAMkAAAA`, { token: reader, body: '{}' });
    expect(errorOf(move)[1]).toBe('ErrorAccessDenied');
  });

  it('403 for the mailbox an application access policy excludes (other apps unaffected)', async () => {
    const { policyDeniedMailbox, readOnlyApp } = sandbox.fixtures.graph;
    expect(errorOf(await read(policyDeniedMailbox))).toEqual([
      403,
      'ErrorAccessDenied',
      'Access to OData is disabled: [RAOP] : Blocked by tenant configured AppOnly AccessPolicy settings.',
    ]);
    expect((await read(policyDeniedMailbox, await appGraphToken(sandbox, readOnlyApp))).status).toBe(200);
  });

  it('404 MailboxNotEnabledForRESTAPI and ErrorInvalidUser', async () => {
    expect(errorOf(await read(sandbox.fixtures.graph.restApiDisabledMailbox))).toEqual([
      404,
      'MailboxNotEnabledForRESTAPI',
      'The mailbox is either inactive, soft-deleted, or is hosted on-premise.',
    ]);
    const unknown = sandbox.fixtures.graph.unknownUser;
    expect(errorOf(await read(unknown))).toEqual([
      404,
      'ErrorInvalidUser',
      `The requested user '${unknown}' is invalid.`,
    ]);
    // A user of another tenant is not a user of this one.
    expect(errorOf(await read(sandbox.fixtures.users.foreign.upn))[1]).toBe('ErrorInvalidUser');
  });

  it('403 ErrorSendAsDenied for a From the mailbox may not send as; SendAs grants allow it', async () => {
    const { mailbox, from } = sandbox.fixtures.graph.sendAsDenied;
    expect(errorOf(await sendAs(mailbox, from))).toEqual([
      403,
      'ErrorSendAsDenied',
      'The user account which was used to submit this request does not have the right to send mail on behalf of the specified sending account., Cannot submit message.',
    ]);
    expect((await sendAs(megan, from)).status).toBe(202); // megan holds SendAs on info@
  });

  it('507 ErrorQuotaExceeded on writes to a full mailbox; reads still work', async () => {
    const full = sandbox.fixtures.graph.quotaExceededMailbox;
    expect(errorOf(await sendAs(full, full))).toEqual([
      507,
      'ErrorQuotaExceeded',
      'Mailbox has exceeded maximum mailbox size.',
    ]);
    expect((await read(full)).status).toBe(200);
  });

  it('413 ErrorMessageSizeExceeded over the mailbox’s send size', async () => {
    sandbox.hooks.graph.setMaxSendSize(100);
    try {
      const reply = await sendAs(adele, adele);
      expect(errorOf(reply).slice(0, 2)).toEqual([413, 'ErrorMessageSizeExceeded']);
    } finally {
      sandbox.hooks.graph.setMaxSendSize(35 * 1024 * 1024);
    }
  });

  it('throttles through the hooks: 429 then 503 with Retry-After, then the request passes', async () => {
    sandbox.hooks.graph.throttle(adele, { times: 2, retryAfterSeconds: 7 });
    sandbox.hooks.graph.throttle(adele, { status: 503, retryAfterSeconds: 2 });
    const first = await sendAs(adele, adele);
    expect(errorOf(first)).toEqual([
      429,
      'ApplicationThrottled',
      'Application is over its MailboxConcurrency limit.',
    ]);
    expect(first.headers['retry-after']).toBe('7');
    expect((await sendAs(adele, adele)).status).toBe(429);
    const third = await sendAs(adele, adele);
    expect([third.status, third.headers['retry-after']]).toEqual([503, '2']);
    expect((await sendAs(adele, adele)).status).toBe(202);
    // Another mailbox was never throttled.
    sandbox.hooks.graph.throttle(adele, { times: 5 });
    expect((await read(megan)).status).toBe(200);
    sandbox.hooks.graph.clearThrottles();
    expect((await read(adele)).status).toBe(200);
  });

  it('delegated tokens reach the user’s own mailbox and what FullAccess/SendAs grant, nothing else', async () => {
    const scopes = ['Mail.ReadWrite', 'Mail.Send', 'Mail.Read.Shared', 'Mail.Send.Shared'].map(
      (s) => `https://graph.microsoft.com/${s}`,
    );
    const { upn, password } = sandbox.fixtures.users.megan;
    const delegated = await userToken(sandbox, upn, password, scopes);
    expect((await call('GET', '/me/mailFolders/inbox', { token: delegated })).status).toBe(200);
    expect((await read(sandbox.fixtures.sharedMailbox, delegated)).status).toBe(200);
    expect(errorOf(await read(adele, delegated))[1]).toBe('ErrorAccessDenied');
    expect(
      (await sendAs(sandbox.fixtures.sharedMailbox, sandbox.fixtures.sharedMailbox, delegated)).status,
    ).toBe(202);
    expect(errorOf(await sendAs(adele, adele, delegated))[1]).toBe('ErrorSendAsDenied');
    expect(errorOf(await call('GET', '/me/mailFolders', { token }))).toEqual([
      400,
      'BadRequest',
      '/me request is only valid with delegated authentication flow.',
    ]);
  });

  it('counts requests per endpoint: one token request, then N sends', async () => {
    sandbox.hooks.resetRequestCounts();
    sandbox.hooks.graph.resetRequestCounts();
    const fresh = await appGraphToken(sandbox);
    for (let i = 0; i < 5; i++) expect((await sendAs(adele, adele, fresh)).status).toBe(202);
    expect(sandbox.hooks.requestCounts().client_credentials).toBe(1);
    expect(sandbox.hooks.graph.requestCounts()).toMatchObject({ sendMail: 5, listFolders: 0, other: 0 });
  });

  it('never echoes a token or a secret in an answer', () => {
    const secrets = [
      token,
      sandbox.fixtures.confidentialApp.secret,
      sandbox.fixtures.graph.readOnlyApp.secret,
    ];
    const failures = replies.filter((r) => r.status >= 400);
    expect(failures.length).toBeGreaterThan(10);
    for (const reply of failures) {
      const text = `${reply.body.toString('utf8')} ${JSON.stringify(reply.headers)}`;
      for (const secret of secrets) expect(text).not.toContain(secret);
      expect(text).not.toMatch(/eyJ[\w-]+\.eyJ/);
    }
  });
});
