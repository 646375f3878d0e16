import { TokenError } from '@kalisto/core';
import { describe, expect, it } from 'vitest';
import { type SmtpFailureContext, smtpError } from './smtp-errors.js';
import { SessionTokenProvisioner } from './token-provisioner.js';

const TENANT = '161ee23e-798c-481d-975a-39345f76032a';

/** An unsigned JWT with the claims a refusal is explained by (only decoded, never verified). */
function jwt(claims: Record<string, unknown>): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none' })}.${part(claims)}.c2lnbmF0dXJlLW5vdC1jaGVja2Vk`;
}

const graphToken = jwt({
  aud: 'https://graph.microsoft.com',
  tid: TENANT,
  upn: 'adele@contoso.example',
  scp: 'Mail.Read',
  exp: Math.floor(Date.now() / 1000) + 3600,
});

const context: SmtpFailureContext = {
  settings: { protocol: 'smtp', host: 'smtp.office365.com', port: 587, user: 'adele@contoso.example' },
  config: { oauth: { tenant: TENANT, cloud: 'global' } as SmtpFailureContext['config']['oauth'] },
  token: { accessToken: graphToken, expiresAt: Date.now() + 3_600_000, scopes: [] },
};

/** An error as nodemailer's `_formatError` builds it. */
function nodemailerError(code: string, message: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { code, ...extra });
}

describe('smtpError: server replies', () => {
  it('535 5.7.3 with a Graph token: AUTH_TOKEN_REJECTED whose hint names the audience fix', () => {
    const error = smtpError(
      nodemailerError('EAUTH', 'Invalid login: 535 5.7.3 Authentication unsuccessful', {
        response: '535 5.7.3 Authentication unsuccessful',
        responseCode: 535,
        command: 'AUTH XOAUTH2',
      }),
      context,
    );
    expect(error).toMatchObject({
      name: 'AuthenticationError',
      code: 'AUTH_TOKEN_REJECTED',
      protocol: 'smtp',
      serverText: '535 5.7.3 Authentication unsuccessful',
      claims: { aud: 'https://graph.microsoft.com' },
    });
    const { hint, findings, message, cause } = error as {
      hint: string;
      findings: { code: string }[];
      message: string;
      cause: unknown;
    };
    expect(findings.map((f) => f.code)).toContain('GRAPH_AUDIENCE');
    expect(hint).toContain('https://outlook.office.com/.default');
    expect(message).toMatch(/^\[protocol:smtp\] .*\(smtp\.office365\.com:587\)$/s);
    expect(message).not.toContain(graphToken);
    expect(cause).toBeInstanceOf(Error);
  });

  it('432 4.3.2 without a suggested wait gets the provider’s retry-after', () => {
    const error = smtpError(
      nodemailerError('EAUTH', 'Invalid login', {
        response: '432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded',
      }),
      context,
    );
    expect(error).toMatchObject({
      name: 'ConnectionError',
      code: 'TOO_MANY_CONNECTIONS',
      transient: true,
      retryAfterMs: 15_000, // Exchange names no wait; the classifier's default
      host: 'smtp.office365.com',
      port: 587,
    });
  });

  it('550 5.7.60 at MAIL FROM is SEND_AS_DENIED; 554 5.2.0 is the quota', () => {
    expect(
      smtpError(
        nodemailerError('EENVELOPE', 'Mail command failed', {
          response: '550 5.7.60 SMTP; Client does not have permissions to send as this sender',
          command: 'MAIL FROM',
        }),
        context,
      ),
    ).toMatchObject({ name: 'AuthenticationError', code: 'SEND_AS_DENIED' });
    expect(
      smtpError(
        nodemailerError('EMESSAGE', 'Message failed', {
          response: '554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException',
          command: 'DATA',
        }),
        context,
      ),
    ).toMatchObject({ name: 'ConnectionError', code: 'SUBMISSION_QUOTA_EXCEEDED', transient: false });
  });

  it('a token echoed in a server reply is scrubbed', () => {
    const error = smtpError(
      nodemailerError('EAUTH', 'Invalid login', { response: `535 5.7.8 bad token ${graphToken}` }),
      context,
    ) as Error;
    expect(error.message).not.toContain(graphToken);
    expect(JSON.stringify(error)).not.toContain(graphToken);
  });
});

describe('smtpError: failures without a reply', () => {
  it.each([
    [
      { code: 'ETLS', command: 'STARTTLS', response: '502 5.5.1 Not implemented' },
      'SMTP_TLS_REQUIRED',
      false,
    ],
    [{ code: 'ESOCKET', originalCode: 'SELF_SIGNED_CERT_IN_CHAIN' }, 'SMTP_TLS_FAILED', false],
    [{ code: 'ETLS', command: 'CONN' }, 'SMTP_TLS_FAILED', false],
    [{ code: 'ETIMEDOUT' }, 'SMTP_TIMEOUT', true],
    [{ code: 'ESOCKET', originalCode: 'ECONNREFUSED' }, 'SMTP_CONNECT_FAILED', true],
    [{ code: 'EPROXY' }, 'SMTP_PROXY_FAILED', true],
    [{ code: 'EENVELOPE' }, 'SMTP_INVALID_MESSAGE', false],
    [{}, 'CONNECTION_FAILED', true],
  ] as const)('%o is %s', (fields, code, transient) => {
    const error = smtpError(nodemailerError('', 'failure', fields), context);
    expect(error).toMatchObject({ name: 'ConnectionError', code, transient, protocol: 'smtp' });
    expect((error as Error).message).not.toContain('<protocol>');
  });

  it('a token failure comes back as the TokenError it was, even after nodemailer rewrote the code', async () => {
    const tokenError = new TokenError('[token:msal] Token request failed', {
      code: 'TOKEN_INVALID_CREDENTIALS',
    });
    const session = {
      tokens: { getToken: () => Promise.reject(tokenError) },
    } as unknown as ConstructorParameters<typeof SessionTokenProvisioner>[0];
    const provisioner = new SessionTokenProvisioner(session);
    const handed = await new Promise<Error>((resolve) =>
      provisioner.provisionCallback('adele@contoso.example', false, (error) => resolve(error as Error)),
    );
    Object.assign(handed, { code: 'EAUTH' }); // what nodemailer's _formatError does

    expect(smtpError(handed, context)).toBe(tokenError);
    expect(tokenError.code).toBe('TOKEN_INVALID_CREDENTIALS');
  });
});
