import { describe, expect, it } from 'vitest';
import {
  ACCESS_TOKEN,
  CONNECTION_MAIL_CODES,
  graphToken,
  MAIL_TABLE,
  NOW,
  SECRETS,
  TRANSIENT_MAIL_CODES,
  XOAUTH2_PAYLOAD,
} from '../../test/classify-fixtures.js';
import type { TokenClaimsSummary } from '../token/claims.js';
import { classifyMailError } from './classify-mail.js';
import { AuthenticationError, ConnectionError, type KalistoError } from './errors.js';
import { IMAP_SERVER_ERRORS, MAIL_SERVER_ERRORS } from './mail-error-rules.js';

describe('classifyMailError: errors.md texts', () => {
  it.each(MAIL_TABLE)('%s %j → %s', (protocol, serverText, code, fix) => {
    const result = classifyMailError({ protocol, serverText });
    expect(result.code).toBe(code);
    expect(result.hint?.toLowerCase()).toContain(fix.toLowerCase());
    expect(result).toBeInstanceOf(CONNECTION_MAIL_CODES.has(code) ? ConnectionError : AuthenticationError);
    expect(result.transient).toBe(TRANSIENT_MAIL_CODES.has(code));
    expect(result.message).toMatch(new RegExp(`^\\[${protocol}\\] `));
    expect(result.message).toContain(JSON.stringify(serverText));
    if (result instanceof AuthenticationError) expect(result.serverText).toBe(serverText);
  });

  it('carries the suggested backoff of a throttled request', () => {
    const result = classifyMailError({
      protocol: 'imaps',
      serverText: 'NO Request is throttled. Suggested Backoff Time: 2500 milliseconds',
    });
    expect(result).toMatchObject({ code: 'THROTTLED', retryAfterMs: 2500, protocol: 'imap' });
  });

  it('suggests 15 s before retrying when Exchange refuses another SMTP session, and no wait elsewhere by default', () => {
    for (const serverText of [
      '432 4.3.2 Concurrent connections limit exceeded',
      '4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded',
    ]) {
      expect(classifyMailError({ protocol: 'smtp', serverText })).toMatchObject({
        code: 'TOO_MANY_CONNECTIONS',
        transient: true,
        retryAfterMs: 15_000,
      });
    }
    expect(
      classifyMailError({
        protocol: 'smtp',
        serverText: '421 4.7.0 Session invalidated - AccessTokenExpired',
      }).retryAfterMs,
    ).toBeUndefined();
  });

  it("classifies the sandbox's mid-session expiry texts when the client split off the SMTP reply code", () => {
    const result = classifyMailError({
      protocol: 'smtps',
      responseCode: 421,
      serverText: '4.7.0 Session invalidated - TokenRevoked',
    });
    expect(result).toBeInstanceOf(AuthenticationError);
    expect(result).toMatchObject({ code: 'AUTH_TOKEN_EXPIRED', transient: true, protocol: 'smtp' });
  });

  it('has an example in each table row that its own pattern matches, and a row for every errors.md text', () => {
    for (const [protocol, rules] of Object.entries(MAIL_SERVER_ERRORS)) {
      for (const rule of rules) {
        const result = classifyMailError({ protocol: protocol as 'imap', serverText: rule.example });
        expect(result.code, rule.example).toBe(rule.code);
      }
    }
    const codes = new Set(Object.values(MAIL_SERVER_ERRORS).flatMap((rules) => rules.map((r) => r.code)));
    for (const [, , code] of MAIL_TABLE) expect(codes.has(code)).toBe(true);
  });

  it("matches imapflow's split form (text without NO, response code apart)", () => {
    expect(classifyMailError({ protocol: 'imap', serverText: 'AUTHENTICATE failed.' }).code).toBe(
      'AUTH_TOKEN_REJECTED',
    );
    expect(
      classifyMailError({
        protocol: 'imap',
        serverText: 'Authentication failed.',
        responseCode: 'AUTHENTICATIONFAILED',
      }).code,
    ).toBe('AUTH_TOKEN_REJECTED');
    expect(
      classifyMailError({ protocol: 'smtps', serverText: 'Authentication unsuccessful', responseCode: 535 })
        .code,
    ).toBe('AUTH_TOKEN_REJECTED');
  });

  it('classifies Dovecot and Postfix refusals too', () => {
    expect(
      classifyMailError({ protocol: 'imap', serverText: 'NO [AUTHENTICATIONFAILED] Authentication failed.' })
        .code,
    ).toBe('AUTH_TOKEN_REJECTED');
    expect(
      classifyMailError({ protocol: 'pop3', serverText: '-ERR [AUTH] Authentication failed.' }).code,
    ).toBe('AUTH_TOKEN_REJECTED');
    expect(
      classifyMailError({
        protocol: 'smtp',
        serverText: '535 5.7.8 Error: authentication failed: invalid token',
      }).code,
    ).toBe('AUTH_TOKEN_REJECTED');
    expect(
      classifyMailError({ protocol: 'smtp', serverText: '454 4.7.0 Temporary authentication failure' }),
    ).toMatchObject({
      code: 'SERVER_UNAVAILABLE',
      transient: true,
    });
  });

  it('falls back by context for an unknown text', () => {
    expect(
      classifyMailError({ protocol: 'imap', serverText: 'NO Something new', duringAuthentication: true }),
    ).toMatchObject({
      code: 'AUTH_FAILED',
      transient: false,
    });
    const other = classifyMailError({ protocol: 'smtp', serverText: '451 4.4.0 Something temporary' });
    expect(other).toBeInstanceOf(ConnectionError);
    expect(other).toMatchObject({ code: 'SERVER_ERROR', transient: true });
    expect(classifyMailError({ protocol: 'pop3', serverText: '-ERR what' })).toMatchObject({
      code: 'SERVER_ERROR',
      transient: false,
    });
  });
});

describe('classifyMailError: hints from the token claims', () => {
  it("explains a refusal by the token's claims", () => {
    const result = classifyMailError({
      protocol: 'imap',
      serverText: 'NO AUTHENTICATE failed.',
      claims: graphToken,
      mailbox: 'someone@contoso.example',
      now: NOW,
    });
    expect(result).toBeInstanceOf(AuthenticationError);
    const auth = result as AuthenticationError;
    expect(auth.findings.map((f) => f.code)).toEqual(['GRAPH_AUDIENCE', 'MISSING_PERMISSION']);
    expect(auth.hint).toContain('Microsoft Graph');
    expect(auth.hint).toContain('IMAP.AccessAsUser.All');
    expect(auth.claims).toBe(graphToken);
    expect(auth.message).toContain('Token: aud=https://graph.microsoft.com');
  });

  it("adds the scope of the server's error challenge to the hint", () => {
    const result = classifyMailError({
      protocol: 'imap',
      serverText: 'NO AUTHENTICATE failed.',
      challenge: {
        status: '401',
        schemes: 'bearer',
        scope: 'https://outlook.office.com/IMAP.AccessAsUser.All',
      },
    });
    expect(result.hint).toMatch(
      /The server asks for a token with the scope https:\/\/outlook\.office\.com\/IMAP/,
    );
  });

  it('keeps the table hint when the claims look right, and puts a user mismatch before it', () => {
    const good: TokenClaimsSummary = {
      ...graphToken,
      aud: 'https://outlook.office.com',
      scp: ['IMAP.AccessAsUser.All'],
    };
    const rejected = classifyMailError({
      protocol: 'imap',
      serverText: 'NO AUTHENTICATE failed.',
      claims: good,
      now: NOW,
    });
    expect(rejected.hint).toBe(IMAP_SERVER_ERRORS[0]?.hint);

    const notConnected = classifyMailError({
      protocol: 'imap',
      serverText: 'BAD User is authenticated but not connected.',
      claims: good,
      mailbox: 'shared@contoso.example',
      now: NOW,
    });
    expect(notConnected.hint).toMatch(
      /^The token belongs to someone@contoso\.example .*New-ServicePrincipal/,
    );
  });
});

describe('no secret in any produced error', () => {
  it('scrubs tokens from server texts and keeps secrets out of messages, hints and JSON', () => {
    const produced: KalistoError[] = MAIL_TABLE.map(([protocol, serverText]) =>
      classifyMailError({
        protocol,
        serverText: `${serverText} (command: AUTH XOAUTH2 ${XOAUTH2_PAYLOAD}; token ${ACCESS_TOKEN})`,
        claims: graphToken,
        now: NOW,
      }),
    );
    for (const error of produced) {
      const rendered = [error.message, error.hint ?? '', JSON.stringify(error)].join('\n');
      for (const secret of SECRETS) expect(rendered).not.toContain(secret);
    }
  });
});
