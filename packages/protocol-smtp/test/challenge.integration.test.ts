/**
 * A server that answers a refused XOAUTH2 token with an error challenge (`334 <base64 JSON>`, as
 * Gmail does) makes nodemailer retry by itself with `renew = true`: the provider then forces the
 * one refresh, and does not retry a second time on top of nodemailer's retry.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { jtiOf, rawMessage, rejectionOf, type SmtpTestBed, startTestBed } from './helpers.js';

let bed: SmtpTestBed;

beforeAll(async () => {
  bed = await startTestBed({ behaviour: { smtp: { xoauth2ErrorChallenge: true } } });
});
afterEach(async () => {
  await bed.closeSessions();
});
afterAll(async () => {
  await bed?.stop();
});

describe('nodemailer’s own renewal after an error challenge', () => {
  it('a revoked token is renewed through provisionCallback with one token request', async () => {
    const { adele, megan } = bed.sandbox.fixtures.users;
    const session = bed.session();
    const transport = await session.transport('smtp');
    const revoked = await session.tokens.getToken();
    bed.sandbox.hooks.revokeToken(jtiOf(revoked.accessToken));
    bed.sandbox.hooks.resetRequestCounts();

    await transport.sendMail({
      envelope: { from: adele.upn, to: [megan.upn] },
      raw: rawMessage(adele.upn, megan.upn, 'renewed by nodemailer'),
    });

    expect(bed.sandbox.hooks.requestCounts().client_credentials).toBe(1);
    expect(bed.logger.lines.some((line) => line.includes('retrying once with a fresh one'))).toBe(false);
  });

  it('a refused identity costs one renewal, not two', async () => {
    const session = bed.session({ 'mail.smtp.user': 'nobody@contoso.example' });
    await session.tokens.getToken();
    bed.sandbox.hooks.resetRequestCounts();

    const error = await rejectionOf(session.transport('smtp'));

    expect(error).toMatchObject({ name: 'AuthenticationError', protocol: 'smtp' });
    expect(bed.sandbox.hooks.requestCounts().client_credentials).toBe(1);
  });
});
