/**
 * Graph's failures on the sandbox, each with its code and fix; throttling honoured within the
 * budget; a refused token replaced once; Outlook and Graph tokens side by side; no secret said.
 */
import { decodeTokenClaims } from '@kalisto/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { everythingSaid, type GraphTestBed, rejectionOf, startGraphBed } from './helpers.js';

let bed: GraphTestBed;
/** Everything the failures said, for the secret scan at the end. */
const said: string[] = [];
beforeAll(async () => {
  bed = await startGraphBed();
});
afterAll(async () => {
  await bed?.stop();
});

async function failure(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  const error = await rejectionOf(promise);
  said.push(everythingSaid(error));
  return error;
}

const message = (from: string, to = from) => ({ from, to, subject: 'fixture', text: 'x' });

describe('the Graph error fixtures: each code and its fix', () => {
  it('an application access policy keeps the app out of the mailbox: the PowerShell to fix it', async () => {
    const mailboxAddress = bed.sandbox.fixtures.graph.policyDeniedMailbox;
    const error = await failure(bed.session({ 'mail.graph.user': mailboxAddress }).store('graph'));
    expect(error).toMatchObject({ name: 'AuthenticationError', code: 'GRAPH_ACCESS_POLICY_DENIED' });
    expect(error.hint).toContain(`Test-ApplicationAccessPolicy -Identity ${mailboxAddress} -AppId `);
    expect(error.hint).toContain('New-ManagementRoleAssignment -App');
  });

  it('MailboxNotEnabledForRESTAPI', async () => {
    const error = await failure(
      bed.session({ 'mail.graph.user': bed.sandbox.fixtures.graph.restApiDisabledMailbox }).store('graph'),
    );
    expect(error).toMatchObject({ code: 'GRAPH_MAILBOX_NOT_ENABLED' });
    expect(error.hint).toMatch(/on-premises/);
  });

  it('ErrorInvalidUser names mail.graph.user', async () => {
    const unknown = bed.sandbox.fixtures.graph.unknownUser;
    const error = await failure(bed.session({ 'mail.graph.user': unknown }).store('graph'));
    expect(error).toMatchObject({ code: 'GRAPH_INVALID_USER' });
    expect(error.hint).toContain(`mail.graph.user (else o365.user), now ${unknown}`);
  });

  it('a missing role (an app with Mail.Read sends): Mail.Send and admin consent', async () => {
    const reader = bed.sandbox.fixtures.graph.readOnlyApp;
    const transport = await bed
      .session({ 'o365.oauth.clientId': reader.clientId, 'o365.oauth.clientSecret': reader.secret })
      .transport('graph');
    const error = await failure(transport.sendMail(message(bed.user)));
    expect(error).toMatchObject({ code: 'GRAPH_PERMISSION_MISSING' });
    expect(error.hint).toMatch(
      /lack Mail\.Send: add the application permission Mail\.Send of Microsoft Graph/,
    );
  });

  it('ErrorSendAsDenied: the grant that is missing', async () => {
    const { mailbox, from } = bed.sandbox.fixtures.graph.sendAsDenied;
    const transport = await bed.session({ 'mail.graph.user': mailbox }).transport('graph');
    const error = await failure(transport.sendMail(message(from, mailbox)));
    expect(error).toMatchObject({ code: 'GRAPH_SEND_AS_DENIED' });
    expect(error.hint).toContain(
      `Add-RecipientPermission -Identity ${from} -Trustee ${mailbox} -AccessRights SendAs`,
    );
  });

  it('a full mailbox: ErrorQuotaExceeded, not transient', async () => {
    const full = bed.sandbox.fixtures.graph.quotaExceededMailbox;
    const transport = await bed.session({ 'mail.graph.user': full }).transport('graph');
    const error = await failure(transport.sendMail(message(full, bed.user)));
    expect(error).toMatchObject({ name: 'ConnectionError', code: 'GRAPH_QUOTA_EXCEEDED', transient: false });
  });

  it("over the mailbox's MaxSendSize: GRAPH_MESSAGE_TOO_LARGE with the Set-Mailbox fix", async () => {
    bed.sandbox.hooks.graph.setMaxSendSize(2000);
    try {
      const transport = await bed.session().transport('graph');
      const error = await failure(transport.sendMail({ ...message(bed.user), text: 'y'.repeat(5000) }));
      expect(error).toMatchObject({ code: 'GRAPH_MESSAGE_TOO_LARGE' });
      expect(error.hint).toContain('Set-Mailbox -MaxSendSize');
    } finally {
      bed.sandbox.hooks.graph.setMaxSendSize(35 * 1024 * 1024);
    }
  });
});

describe('throttling and refused tokens', () => {
  it("honours Retry-After: retried after the server's wait, the server counting each request", async () => {
    const transport = await bed.session().transport('graph');
    bed.sandbox.hooks.graph.resetRequestCounts();
    bed.sandbox.hooks.graph.throttle(bed.user, { times: 2, retryAfterSeconds: 0 });
    const info = await transport.sendMail(message(bed.user));
    expect(info.accepted).toEqual([bed.user]);
    expect(bed.sandbox.hooks.graph.requestCounts().sendMail).toBe(3);
  });

  it('a wait longer than mail.graph.retryBudget fails at once with the wait, without an early retry', async () => {
    const transport = await bed.session({ 'mail.graph.retryBudget': '500' }).transport('graph');
    bed.sandbox.hooks.graph.resetRequestCounts();
    bed.sandbox.hooks.graph.throttle(bed.user, { times: 1, retryAfterSeconds: 30 });
    const error = await failure(transport.sendMail(message(bed.user)));
    expect(error).toMatchObject({ code: 'GRAPH_THROTTLED', transient: true, retryAfterMs: 30_000 });
    expect(bed.sandbox.hooks.graph.requestCounts().sendMail).toBe(1);
    bed.sandbox.hooks.graph.clearThrottles();
  });

  it('503 after maxRetries: GRAPH_UNAVAILABLE, transient, exactly 1 + maxRetries requests', async () => {
    const mailbox = await bed.session({ 'mail.graph.maxRetries': '2' }).store('graph');
    bed.sandbox.hooks.graph.resetRequestCounts();
    bed.sandbox.hooks.graph.throttle(bed.user, { times: 5, status: 503, retryAfterSeconds: 0 });
    const error = await failure(mailbox.folders());
    expect(error).toMatchObject({ code: 'GRAPH_UNAVAILABLE', transient: true });
    expect(bed.sandbox.hooks.graph.requestCounts().listFolders).toBe(3);
    bed.sandbox.hooks.graph.clearThrottles();
  });

  it('a revoked token: forgotten, one fresh token forced, the request sent once more', async () => {
    const session = bed.session();
    const mailbox = await session.store('graph');
    const scopes = ['https://graph.microsoft.com/.default'];
    const refused = await session.tokens.getToken({ scopes });
    const jti = JSON.parse(Buffer.from(refused.accessToken.split('.')[1] ?? '', 'base64url').toString()).jti;
    bed.sandbox.hooks.revokeToken(jti);
    bed.sandbox.hooks.resetRequestCounts();
    bed.sandbox.hooks.graph.resetRequestCounts();

    await mailbox.folders();
    expect(bed.sandbox.hooks.requestCounts().client_credentials).toBe(1);
    expect(bed.sandbox.hooks.graph.requestCounts().listFolders).toBe(2);
    expect((await session.tokens.getToken({ scopes })).accessToken).not.toBe(refused.accessToken);
  });

  it('a token refused twice (an Outlook token sent to Graph) is GRAPH_TOKEN_REJECTED, after exactly one fresh token', async () => {
    const session = bed.session({ 'mail.graph.scope': 'https://outlook.office365.com/.default' });
    bed.sandbox.hooks.resetRequestCounts();
    bed.sandbox.hooks.graph.resetRequestCounts();
    const error = await failure(session.store('graph'));
    expect(error).toMatchObject({ name: 'AuthenticationError', code: 'GRAPH_TOKEN_REJECTED' });
    expect(error.hint).toContain('not Microsoft Graph (https://graph.microsoft.com): request Graph');
    expect(bed.sandbox.hooks.requestCounts().client_credentials).toBe(2);
    expect(bed.sandbox.hooks.graph.requestCounts().getFolder).toBe(2);
  });
});

describe('tokens', () => {
  it('one mailbox holds an Outlook token and a Graph token side by side: one request each, each cached', async () => {
    const session = bed.session();
    bed.sandbox.hooks.resetRequestCounts();
    const [outlook, graphToken] = await Promise.all([
      session.tokens.getToken(),
      session.tokens.getToken({ scopes: ['https://graph.microsoft.com/.default'] }),
    ]);
    await session.transport('graph');
    await session.store('graph');
    await session.store('imaps');
    await Promise.all([
      session.tokens.getToken(),
      session.tokens.getToken({ scopes: ['https://graph.microsoft.com/.default'] }),
    ]);

    expect(bed.sandbox.hooks.requestCounts().client_credentials).toBe(2);
    expect(decodeTokenClaims(outlook.accessToken)?.aud).toBe('https://outlook.office365.com');
    expect(decodeTokenClaims(graphToken.accessToken)?.aud).toBe('https://graph.microsoft.com');
    expect(session.tokens.keyFor()).not.toBe(
      session.tokens.keyFor({ scopes: ['https://graph.microsoft.com/.default'] }),
    );
  });
});

describe('secrets', () => {
  it('no token, refresh token or client secret in any error or log line', async () => {
    const session = bed.session();
    const tokens = [
      (await session.tokens.getToken()).accessToken,
      (await session.tokens.getToken({ scopes: ['https://graph.microsoft.com/.default'] })).accessToken,
    ];
    const secret = bed.sandbox.properties['o365.oauth.clientSecret'] as string;
    const text = [...said, ...bed.logger.lines].join('\n');
    expect(said.length).toBeGreaterThan(8);
    expect(bed.logger.lines.length).toBeGreaterThan(10);
    for (const value of [secret, ...tokens, ...tokens.map((t) => t.split('.')[2] ?? '')]) {
      expect(text).not.toContain(value);
    }
    expect(text).not.toMatch(/authtoken=|eyJ[A-Za-z0-9_-]{10,}\.eyJ/);
  });
});
