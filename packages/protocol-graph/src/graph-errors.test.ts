import { describe, expect, it } from 'vitest';
import { type GraphErrorContext, graphError, parseGraphFailure } from './graph-errors.js';

/** An unsigned JWT with these claims (the classifier reads claims, never verifies). */
function jwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}.c2lnbmF0dXJl`;
}

const APP_ID = '782d2e03-9066-4d59-ab6a-a2cfbc0212a1';
const appToken = (roles: string[], aud = 'https://graph.microsoft.com') =>
  jwt({ aud, appid: APP_ID, roles, idtyp: 'app', tid: 't' });
const userToken = (scp: string, user = 'adele@contoso.example') =>
  jwt({ aud: 'https://graph.microsoft.com', appid: APP_ID, scp, upn: user, idtyp: 'user' });

const context = (overrides: Partial<GraphErrorContext> = {}): GraphErrorContext => ({
  operation: 'send',
  request: 'POST /users/shared@contoso.example/sendMail',
  mailbox: 'shared@contoso.example',
  host: 'graph.microsoft.com',
  port: 443,
  cloud: 'global',
  ...overrides,
});

/** Graph's error body, as the service sends it. */
const body = (code: string, message: string) =>
  JSON.stringify({
    error: { code, message, innerError: { date: '2026-01-01T00:00:00', 'request-id': 'req-1' } },
  });

const classify = (status: number, code: string, message: string, ctx: Partial<GraphErrorContext> = {}) =>
  graphError(parseGraphFailure(status, {}, body(code, message), undefined), context(ctx));

describe('graphError: the fixtures of Microsoft Graph mail errors', () => {
  it('an application access policy: which PowerShell finds and fixes it', () => {
    const error = classify(403, 'ErrorAccessDenied', 'Access to OData is disabled.', {
      accessToken: appToken(['Mail.Send']),
    });
    expect(error).toMatchObject({
      name: 'AuthenticationError',
      code: 'GRAPH_ACCESS_POLICY_DENIED',
      transient: false,
    });
    expect(error.hint).toContain(
      `Test-ApplicationAccessPolicy -Identity shared@contoso.example -AppId ${APP_ID}`,
    );
    expect(error.hint).toContain('New-ApplicationAccessPolicy');
    expect(error.hint).toContain('New-ManagementRoleAssignment -App');
    expect(error.hint).toContain('-Role "Application Mail.Send" -CustomResourceScope');
    expect(error.message).toContain('request-id req-1');
  });

  it('an RBAC scope that excludes the mailbox: the app holds the role, Exchange says only "Access is denied"', () => {
    const error = classify(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.', {
      operation: 'read',
      accessToken: appToken(['Mail.Read']),
    });
    expect(error.code).toBe('GRAPH_ACCESS_POLICY_DENIED');
    expect(error.hint).toContain('"Application Mail.Read"');
  });

  it('a missing role: which permission to grant, and admin consent', () => {
    const error = classify(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.', {
      accessToken: appToken(['Mail.Read']),
    });
    expect(error.code).toBe('GRAPH_PERMISSION_MISSING');
    expect(error.hint).toMatch(
      /roles \(Mail\.Read\) lack Mail\.Send: add the application permission Mail\.Send of Microsoft Graph .* Grant admin consent/,
    );
    expect((error as { findings?: unknown[] }).findings).toHaveLength(1);
  });

  it("a delegated token on another user's mailbox: the .Shared permission, then Full Access", () => {
    const lacking = classify(403, 'ErrorAccessDenied', 'Access is denied.', {
      operation: 'write',
      accessToken: userToken('Mail.ReadWrite Mail.Send'),
    });
    expect(lacking.code).toBe('GRAPH_PERMISSION_MISSING');
    expect(lacking.hint).toContain('Mail.ReadWrite.Shared');
    const granted = classify(403, 'ErrorAccessDenied', 'Access is denied.', {
      operation: 'write',
      accessToken: userToken('Mail.ReadWrite.Shared'),
    });
    expect(granted.code).toBe('GRAPH_MAILBOX_ACCESS_DENIED');
    expect(granted.hint).toContain(
      'Add-MailboxPermission -Identity shared@contoso.example -User adele@contoso.example -AccessRights FullAccess',
    );
  });

  it('MailboxNotEnabledForRESTAPI: licence, provisioning or on-premises', () => {
    const error = classify(
      404,
      'MailboxNotEnabledForRESTAPI',
      'The mailbox is either inactive, soft-deleted, or is hosted on-premise.',
    );
    expect(error).toMatchObject({ name: 'AuthenticationError', code: 'GRAPH_MAILBOX_NOT_ENABLED' });
    expect(error.hint).toMatch(/licence with Exchange Online/);
  });

  it('ErrorInvalidUser names the property holding the mailbox', () => {
    const error = classify(
      404,
      'ErrorInvalidUser',
      "The requested user 'shared@contoso.example' is invalid.",
    );
    expect(error.code).toBe('GRAPH_INVALID_USER');
    expect(error.hint).toContain('mail.graph.user (else o365.user), now shared@contoso.example');
  });

  it('ErrorSendAsDenied: Add-RecipientPermission for the From address', () => {
    const error = classify(
      403,
      'ErrorSendAsDenied',
      'The user account which was used to submit this request does not have the right to send mail on behalf of the specified sending account.',
      { from: 'ceo@contoso.example', accessToken: appToken(['Mail.Send']) },
    );
    expect(error.code).toBe('GRAPH_SEND_AS_DENIED');
    expect(error.hint).toContain(
      'Add-RecipientPermission -Identity ceo@contoso.example -Trustee shared@contoso.example -AccessRights SendAs',
    );
  });

  it('quota and size: not transient, each with its fix', () => {
    const quota = classify(507, 'ErrorQuotaExceeded', 'Mailbox has exceeded maximum mailbox size.');
    expect(quota).toMatchObject({ name: 'ConnectionError', code: 'GRAPH_QUOTA_EXCEEDED', transient: false });
    const size = classify(413, 'ErrorMessageSizeExceeded', 'The message exceeds the maximum supported size.');
    expect(size).toMatchObject({ code: 'GRAPH_MESSAGE_TOO_LARGE', transient: false });
    expect(size.hint).toContain('MaxSendSize');
    expect(classify(413, 'RequestEntityTooLarge', 'too large').code).toBe('GRAPH_MESSAGE_TOO_LARGE');
  });

  it('throttling and outages are transient and carry the server wait', () => {
    const failure = parseGraphFailure(
      429,
      {},
      body('ApplicationThrottled', 'Application is over its MailboxConcurrency limit.'),
      3000,
    );
    const throttled = graphError(failure, context());
    expect(throttled).toMatchObject({ code: 'GRAPH_THROTTLED', transient: true, retryAfterMs: 3000 });
    expect(classify(503, 'ServiceNotAvailable', 'try later')).toMatchObject({
      code: 'GRAPH_UNAVAILABLE',
      transient: true,
    });
  });

  it('a refused token: an Outlook token sent to Graph is named, with the scope to ask for', () => {
    const error = classify(
      401,
      'InvalidAuthenticationToken',
      'Access token validation failure. Invalid audience.',
      {
        accessToken: appToken(['SMTP.SendAsApp'], 'https://outlook.office365.com'),
      },
    );
    expect(error.code).toBe('GRAPH_TOKEN_REJECTED');
    expect(error.hint).toContain('not Microsoft Graph (https://graph.microsoft.com)');
    expect(error.hint).toContain('mail.graph.scope, default https://graph.microsoft.com/.default');
  });

  it('a reply that is not Graph JSON (a proxy page) is classified by its status', () => {
    const failure = parseGraphFailure(502, { 'request-id': 'hdr-1' }, '<html>Bad gateway</html>', undefined);
    expect(failure).toMatchObject({
      status: 502,
      code: undefined,
      message: '<html>Bad gateway</html>',
      requestId: 'hdr-1',
    });
    expect(graphError(failure, context()).code).toBe('GRAPH_UNAVAILABLE');
    expect(graphError(parseGraphFailure(400, {}, '', undefined), context()).code).toBe('GRAPH_BAD_REQUEST');
  });

  it('never shows the token, even when the server echoes it', () => {
    const token = appToken(['Mail.Send']);
    const error = graphError(
      parseGraphFailure(
        403,
        {},
        body('ErrorAccessDenied', `Access is denied for Bearer ${token}`),
        undefined,
      ),
      context({ accessToken: token }),
    );
    const said = [error.message, error.hint, JSON.stringify(error), JSON.stringify(error.toJSON())].join(
      '\n',
    );
    expect(said).not.toContain(token);
    expect(said).not.toContain(token.split('.')[2]);
  });
});
