/**
 * The verdicts, for errors shaped as @kalisto/protocol-smtp throws them (Kalisto errors with the
 * nodemailer error as cause) and for errors of a transport that does not classify.
 */
import { AuthenticationError, ConfigError, ConnectionError, TokenError } from '@kalisto/core';
import { describe, expect, it } from 'vitest';
import { deliveryVerdict } from './delivery-outcome.js';

const nodemailerError = (fields: Record<string, unknown>) => Object.assign(new Error('nodemailer'), fields);

describe('deliveryVerdict', () => {
  it('a recipient refused upstream: its 5xx passes through', () => {
    const cause = nodemailerError({
      code: 'EENVELOPE',
      command: 'RCPT TO',
      response: '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found',
    });
    const error = new ConnectionError('[protocol:smtp] …', { code: 'SERVER_ERROR', transient: false, cause });
    expect(deliveryVerdict(error)).toMatchObject({
      transient: false,
      stage: 'message',
      reply: { code: 550, text: '5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found (upstream)' },
      errorCode: 'SERVER_ERROR',
    });
  });

  it('SendAsDenied at DATA: 554 passes through', () => {
    const error = new AuthenticationError('[protocol:smtp] …', {
      code: 'SEND_AS_DENIED',
      protocol: 'smtp',
      serverText: '554 5.2.252 SendAsDenied; a@contoso.example not allowed to send as b@contoso.example',
      cause: nodemailerError({ code: 'EMESSAGE', command: 'DATA' }),
    });
    expect(deliveryVerdict(error).reply.code).toBe(554);
    expect(deliveryVerdict(error).transient).toBe(false);
  });

  it('4xx passes through as 4xx; 421 becomes 451 (the message failed, not the client session)', () => {
    const busy = new ConnectionError('…', {
      code: 'TOO_MANY_CONNECTIONS',
      cause: nodemailerError({
        code: 'EAUTH',
        command: 'AUTH XOAUTH2',
        response: '432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded',
      }),
    });
    expect(deliveryVerdict(busy)).toMatchObject({
      transient: true,
      stage: 'login',
      reply: { code: 432, text: '4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded (upstream)' },
    });
    const expired = nodemailerError({
      code: 'EENVELOPE',
      command: 'MAIL FROM',
      response: '421 4.7.0 Token expired',
    });
    expect(deliveryVerdict(expired).reply).toEqual({ code: 451, text: '4.7.0 Token expired (upstream)' });
  });

  it("upstream refusing the relay's own login is a 4xx: the client cannot fix it", () => {
    const error = new AuthenticationError('…', {
      code: 'AUTH_SMTP_DISABLED',
      protocol: 'smtp',
      serverText:
        '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.',
      hint: 'Set-CASMailbox -SmtpClientAuthenticationDisabled $false',
      cause: nodemailerError({ code: 'EAUTH', command: 'AUTH XOAUTH2' }),
    });
    expect(deliveryVerdict(error)).toMatchObject({
      transient: true,
      stage: 'login',
      reply: { code: 451 },
      errorCode: 'AUTH_SMTP_DISABLED',
      hint: 'Set-CASMailbox -SmtpClientAuthenticationDisabled $false',
      upstreamReply:
        '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.',
    });
  });

  it.each([
    [
      'no token',
      new TokenError('…', { code: 'TOKEN_INVALID_CLIENT_SECRET', transient: false }),
      'token',
      '4.7.0',
    ],
    ['upstream down', new ConnectionError('…', { code: 'SMTP_CONNECT_FAILED' }), 'connection', '4.4.1'],
    [
      'a bad configuration',
      new ConfigError([{ property: 'mail.smtp.user', expected: 'x' }]),
      'config',
      '4.3.5',
    ],
    ['anything else', new TypeError('boom'), 'internal', '4.3.0'],
  ] as const)('%s: 451, never 5xx', (_what, error, stage, status) => {
    const verdict = deliveryVerdict(error);
    expect(verdict).toMatchObject({ transient: true, stage, reply: { code: 451 } });
    expect(verdict.reply.text.startsWith(status)).toBe(true);
  });

  it("a reply from a transport that does not classify still gets the classifier's code and hint", () => {
    const verdict = deliveryVerdict(
      nodemailerError({
        command: 'DATA',
        response: '554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException',
      }),
    );
    expect(verdict.errorCode).toBe('SUBMISSION_QUOTA_EXCEEDED');
    expect(verdict.reply.code).toBe(554);
    expect(verdict.hint).toBeTruthy();
  });

  it('a reply line never carries control characters or a token', () => {
    const jwt = `eyJ${'a'.repeat(20)}.eyJ${'b'.repeat(20)}.${'c'.repeat(20)}`;
    const verdict = deliveryVerdict(
      nodemailerError({ command: 'DATA', response: `550 5.7.1 bad\r\ninjected ${jwt}` }),
    );
    expect(verdict.reply.text).not.toMatch(/[\r\n]/);
    expect(verdict.reply.text).not.toContain(jwt);
  });
});
