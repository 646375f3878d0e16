import { describe, expect, it } from 'vitest';
import {
  decodeOAuthBearerResponse,
  decodeXOAuth2Response,
  oauthBearerErrorChallenge,
} from './sasl-payload.js';

const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('decodeXOAuth2Response', () => {
  it('reads user and bearer token', () => {
    expect(decodeXOAuth2Response(b64('user=a@contoso.com\x01auth=Bearer eyJ.x.y\x01\x01'))).toEqual({
      user: 'a@contoso.com',
      token: 'eyJ.x.y',
    });
  });

  it.each([
    ['not base64', '!!!'],
    ['empty', ''],
    ['no user', b64('auth=Bearer t\x01\x01')],
    ['no token', b64('user=a@b\x01auth=Bearer \x01\x01')],
    ['not a bearer', b64('user=a@b\x01auth=Basic dXNlcg==\x01\x01')],
  ])('refuses %s', (_name, input) => {
    expect(decodeXOAuth2Response(input)).toBeUndefined();
  });
});

describe('decodeOAuthBearerResponse', () => {
  it('reads the authzid (unescaped) and token', () => {
    const input = b64('n,a=we=2Cird=3D@b.test,\x01host=h\x01port=995\x01auth=Bearer tok\x01\x01');
    expect(decodeOAuthBearerResponse(input)).toEqual({ user: 'we,ird=@b.test', token: 'tok' });
  });

  it('allows an empty authzid and refuses a malformed gs2 header', () => {
    expect(decodeOAuthBearerResponse(b64('n,,\x01auth=Bearer tok\x01\x01'))).toEqual({
      user: '',
      token: 'tok',
    });
    expect(decodeOAuthBearerResponse(b64('p=tls-unique,,\x01auth=Bearer tok\x01\x01'))).toBeUndefined();
    expect(decodeOAuthBearerResponse(b64('\x01'))).toBeUndefined();
  });
});

describe('oauthBearerErrorChallenge', () => {
  it('is the RFC 7628 JSON error, base64', () => {
    const json = JSON.parse(Buffer.from(oauthBearerErrorChallenge('s'), 'base64').toString());
    expect(json).toEqual({ status: 'invalid_token', scope: 's' });
  });
});
