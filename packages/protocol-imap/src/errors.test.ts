import { describe, expect, it } from 'vitest';
import { connectionClosedError, imapLoginError, responseTooLargeError } from './errors.js';

/** An unsigned JWT with these claims (the classifier never verifies signatures). */
function jwt(claims: Record<string, unknown>): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.c2lnbmF0dXJl`;
}

const login = (accessToken: string) => ({
  protocol: 'imaps',
  host: 'imap.contoso.example',
  port: 993,
  user: 'adele@contoso.example',
  accessToken,
  tenant: 'contoso.example',
  cloud: 'global' as const,
});

function refusal(response: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error('Command failed'), { authenticationFailed: true, response, ...extra });
}

describe('imapLoginError', () => {
  it("explains a refused Graph token from ImapFlow's fields: code, server text, findings, challenge scope", () => {
    const token = jwt({
      aud: 'https://graph.microsoft.com',
      roles: ['Mail.Read'],
      tid: '11111111-1111-4111-8111-111111111111',
    });
    const challenge = {
      status: '401',
      schemes: 'bearer',
      scope: 'https://outlook.office.com/IMAP.AccessAsUser.All',
    };
    const error = imapLoginError(
      refusal('AUTHENTICATE failed.', { responseStatus: 'NO', oauthError: challenge }),
      login(token),
    );
    expect(error).toMatchObject({
      name: 'AuthenticationError',
      code: 'AUTH_TOKEN_REJECTED',
      protocol: 'imap',
      serverText: 'NO AUTHENTICATE failed.',
      claims: { aud: 'https://graph.microsoft.com' },
    });
    const refused = error as { message: string; hint: string; findings: { code: string }[] };
    expect(refused.findings.map((f) => f.code)).toEqual(['GRAPH_AUDIENCE', 'MISSING_PERMISSION']);
    expect(refused.hint).toContain('https://outlook.office.com/IMAP.AccessAsUser.All');
    expect(refused.message).not.toContain(token);
    expect(refused.message).not.toContain(token.split('.')[1]);
  });

  it('maps "not connected" (detected by ImapFlow at NAMESPACE) to AUTH_MAILBOX_NOT_CONNECTED', () => {
    const token = jwt({ aud: 'https://outlook.office365.com', roles: ['IMAP.AccessAsApp'], idtyp: 'app' });
    const error = imapLoginError(refusal('User is authenticated but not connected.'), login(token));
    expect(error).toMatchObject({
      name: 'AuthenticationError',
      code: 'AUTH_MAILBOX_NOT_CONNECTED',
      transient: false,
    });
  });

  it('keeps a refusal of an opaque token explainable (NOT_A_JWT)', () => {
    const error = imapLoginError(refusal('AUTHENTICATE failed.'), login('opaque-token-value'));
    expect(error).toMatchObject({ code: 'AUTH_TOKEN_REJECTED', claims: undefined, findings: [] });
  });

  it('turns a BYE during login (throttling) into a transient ConnectionError with the suggested wait', () => {
    const bye = Object.assign(new Error('Connection not available'), {
      code: 'NoConnection',
      reason: 'Request is throttled. Suggested Backoff Time: 1500 milliseconds',
    });
    expect(imapLoginError(bye, login('t'))).toMatchObject({
      name: 'ConnectionError',
      code: 'THROTTLED',
      transient: true,
      retryAfterMs: 1500,
    });
  });

  it('classifies TLS failures and timeouts, and leaves plain network errors to the provider wrapper', () => {
    const tls = Object.assign(new Error('certificate has expired'), { code: 'CERT_HAS_EXPIRED' });
    expect(imapLoginError(tls, login('t'))).toMatchObject({ code: 'IMAP_TLS_FAILED', transient: false });
    const upgrade = Object.assign(new Error('handshake'), { tlsFailed: true });
    expect(imapLoginError(upgrade, login('t'))).toMatchObject({ code: 'IMAP_TLS_FAILED' });
    const greeting = Object.assign(new Error('no greeting'), { code: 'GREETING_TIMEOUT' });
    const timeout = imapLoginError(greeting, login('t')) as Error;
    expect(timeout).toMatchObject({ code: 'IMAP_TIMEOUT', transient: true });
    expect(timeout.message).toContain('mail.imaps.connectiontimeout');
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(imapLoginError(refused, login('t'))).toBe(refused);
  });
});

describe('responseTooLargeError and connectionClosedError', () => {
  const endpoint = { protocol: 'imaps', host: 'imap.contoso.example', port: 993 };

  it('names mail.<p>.maxResponseBytes after login, and the fixed budget before it', () => {
    const after = responseTooLargeError(endpoint, { bound: 'response', limit: 1024, received: 1100 });
    expect(after).toMatchObject({ name: 'ConnectionError', code: 'IMAP_RESPONSE_TOO_LARGE', limit: 1024 });
    expect(after.message).toContain('larger than 1024 bytes (mail.imaps.maxResponseBytes)');
    expect(after.hint).toContain('raise mail.imaps.maxResponseBytes only if the server is trusted');
    const before = responseTooLargeError(endpoint, {
      bound: 'pre-auth',
      limit: 65536,
      received: 40,
      announced: Number.POSITIVE_INFINITY,
    });
    expect(before.message).toContain(
      'more than 65536 bytes before login (it announced a literal of an impossible size)',
    );
    expect(before.message).toContain('mail.imaps.maxResponseBytes applies after login');
  });

  it('says where the server cut the answer off, and never quotes more than a command name', () => {
    const cut = connectionClosedError(endpoint, { command: 'LIST', midResponse: true }, undefined);
    expect(cut).toMatchObject({ code: 'IMAP_CONNECTION_CLOSED', transient: true });
    expect(cut.message).toContain('closed the connection in the middle of a response to LIST, without a BYE');
    const silent = connectionClosedError(
      endpoint,
      { command: 'AUTHENTICATE eyJ0.x', midResponse: false },
      undefined,
    );
    expect(silent.message).toContain('closed the connection before answering the command');
  });
});
