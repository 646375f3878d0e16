import { describe, expect, it } from 'vitest';
import { DEFAULT_EXPIRES_IN_SECONDS, parseTokenResponse } from './token-response.js';

const now = 1_700_000_000_000;

function jwt(payload: object): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'none' })}.${part(payload)}.sig`;
}

describe('parseTokenResponse', () => {
  it("reads Microsoft's reply, with a rotated refresh token", () => {
    const reply = {
      token_type: 'Bearer',
      scope: 'https://outlook.office.com/IMAP.AccessAsUser.All offline_access',
      expires_in: 3599,
      ext_expires_in: 3599,
      access_token: 'at',
      refresh_token: 'rt2',
    };
    expect(parseTokenResponse(reply, ['x'], now)).toEqual({
      accessToken: 'at',
      expiresAt: now + 3_599_000,
      scopes: ['https://outlook.office.com/IMAP.AccessAsUser.All', 'offline_access'],
      refreshToken: 'rt2',
    });
  });

  it("reads Google's reply: no refresh token on refresh, expires_in as a number", () => {
    const reply = {
      access_token: 'ya29.a0',
      expires_in: 3599,
      scope: 'https://mail.google.com/',
      token_type: 'Bearer',
    };
    const token = parseTokenResponse(reply, ['https://mail.google.com/'], now);
    expect(token).toEqual({
      accessToken: 'ya29.a0',
      expiresAt: now + 3_599_000,
      scopes: ['https://mail.google.com/'],
    });
  });

  it('accepts expires_in as a string, and Azure AD v1 expires_on', () => {
    expect(parseTokenResponse({ access_token: 'a', expires_in: '60' }, [], now)?.expiresAt).toBe(
      now + 60_000,
    );
    expect(parseTokenResponse({ access_token: 'a', expires_on: '1700000100' }, [], now)?.expiresAt).toBe(
      1_700_000_100_000,
    );
  });

  it("falls back to the JWT's exp, then to a default lifetime", () => {
    expect(parseTokenResponse({ access_token: jwt({ exp: 1_700_000_500 }) }, [], now)?.expiresAt).toBe(
      1_700_000_500_000,
    );
    expect(parseTokenResponse({ access_token: 'opaque' }, [], now)?.expiresAt).toBe(
      now + DEFAULT_EXPIRES_IN_SECONDS * 1000,
    );
  });

  it('reports the requested scopes when the server names none', () => {
    expect(parseTokenResponse({ access_token: 'a', expires_in: 1 }, ['s1', 's2'], now)?.scopes).toEqual([
      's1',
      's2',
    ]);
  });

  it('returns undefined without an access token', () => {
    expect(parseTokenResponse({ error: 'x' }, [], now)).toBeUndefined();
    expect(parseTokenResponse('<html>', [], now)).toBeUndefined();
    expect(parseTokenResponse({ access_token: '' }, [], now)).toBeUndefined();
  });
});
