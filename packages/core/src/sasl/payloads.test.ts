import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { thrownBy as thrown } from '../../test/runtime-fixtures.js';
import { isKalistoError } from '../errors/errors.js';
import {
  encodeSaslErrorChallenge,
  oauthBearerInitialResponse,
  parseSaslErrorChallenge,
  saslAuthCommand,
  saslErrorAcknowledgement,
  xoauth2InitialResponse,
} from './payloads.js';

const TOKEN = 'eyJ0eXAiOiJKV1QifQ.eyJhdWQiOiJodHRwczovL291dGxvb2sub2ZmaWNlLmNvbSJ9.c2lnbmF0dXJlLXNlY3JldA';
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const text = (base64: string) => Buffer.from(base64, 'base64').toString('utf8');

describe('xoauth2InitialResponse', () => {
  it("encodes Google's and Microsoft's format", () => {
    const response = xoauth2InitialResponse({ user: 'someone@contoso.example', accessToken: TOKEN });
    expect(text(response)).toBe(`user=someone@contoso.example\x01auth=Bearer ${TOKEN}\x01\x01`);
  });

  it('refuses empty values and control characters, naming the argument but never the token', () => {
    const empty = thrown(() => xoauth2InitialResponse({ user: '', accessToken: TOKEN }));
    expect(empty.code).toBe('SASL_INVALID_INPUT');
    expect(empty.message).toContain('user is empty');

    const badToken = thrown(() =>
      xoauth2InitialResponse({ user: 'a@b.example', accessToken: `${TOKEN}\x01x` }),
    );
    expect(badToken.code).toBe('SASL_INVALID_INPUT');
    expect(badToken.message).toContain('accessToken contains a control character');
    expect(badToken.message).not.toContain(TOKEN);

    const badUser = thrown(() => xoauth2InitialResponse({ user: 'a\r\n@b', accessToken: TOKEN }));
    expect(badUser.message).toContain('user');
    expect(thrown(() => xoauth2InitialResponse({ user: 'a', accessToken: 'x\x7f' })).code).toBe(
      'SASL_INVALID_INPUT',
    );
    expect(thrown(() => xoauth2InitialResponse({ user: 'a', accessToken: '' })).message).toContain(
      'accessToken is empty',
    );
  });
});

describe('oauthBearerInitialResponse', () => {
  it('writes the RFC 7628 GS2 header with host and port', () => {
    const response = oauthBearerInitialResponse({
      user: 'someone@contoso.example',
      accessToken: TOKEN,
      host: 'outlook.office365.com',
      port: 993,
    });
    expect(text(response)).toBe(
      `n,a=someone@contoso.example,\x01host=outlook.office365.com\x01port=993\x01auth=Bearer ${TOKEN}\x01\x01`,
    );
  });

  it('escapes , and = in the authzid', () => {
    const response = oauthBearerInitialResponse({ user: 'a,b=c', accessToken: TOKEN });
    expect(text(response)).toBe(`n,a=a=2Cb=3Dc,\x01auth=Bearer ${TOKEN}\x01\x01`);
  });

  it('refuses a bad port or host', () => {
    expect(thrown(() => oauthBearerInitialResponse({ user: 'u', accessToken: 't', port: 0 })).code).toBe(
      'SASL_INVALID_INPUT',
    );
    expect(
      thrown(() => oauthBearerInitialResponse({ user: 'u', accessToken: 't', host: 'a\x01b' })).message,
    ).toContain('host');
  });
});

describe('properties', () => {
  it('the encoders return base64 or throw SASL_INVALID_INPUT for any strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (user, accessToken) => {
        for (const encode of [xoauth2InitialResponse, oauthBearerInitialResponse]) {
          try {
            expect(encode({ user, accessToken })).toMatch(/^[A-Za-z0-9+/]+=*$/);
          } catch (error) {
            expect(isKalistoError(error) && error.code).toBe('SASL_INVALID_INPUT');
          }
        }
      }),
    );
  });

  it('the error challenge parser returns a challenge or undefined for any input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.base64String()), (input) => {
        const challenge = parseSaslErrorChallenge(input);
        expect(challenge === undefined || typeof challenge.status === 'string').toBe(true);
      }),
    );
  });
});

describe('saslAuthCommand', () => {
  const initialResponse = xoauth2InitialResponse({ user: 'u@x.example', accessToken: TOKEN });

  it('uses the one-line SASL-IR form for IMAP and SMTP', () => {
    expect(saslAuthCommand({ protocol: 'imap', mechanism: 'XOAUTH2', initialResponse })).toEqual({
      command: `AUTHENTICATE XOAUTH2 ${initialResponse}`,
    });
    expect(saslAuthCommand({ protocol: 'smtp', mechanism: 'OAUTHBEARER', initialResponse })).toEqual({
      command: `AUTH OAUTHBEARER ${initialResponse}`,
    });
  });

  it('uses two lines for POP3, as Exchange requires', () => {
    expect(saslAuthCommand({ protocol: 'pop3', mechanism: 'XOAUTH2', initialResponse })).toEqual({
      command: 'AUTH XOAUTH2',
      continuation: initialResponse,
    });
  });

  it('honours an explicit form and spells an empty initial response as =', () => {
    expect(
      saslAuthCommand({ protocol: 'imap', mechanism: 'XOAUTH2', initialResponse, form: 'continuation' }),
    ).toEqual({ command: 'AUTHENTICATE XOAUTH2', continuation: initialResponse });
    expect(
      saslAuthCommand({ protocol: 'pop3', mechanism: 'XOAUTH2', initialResponse: '', form: 'inline' }),
    ).toEqual({
      command: 'AUTH XOAUTH2 =',
    });
  });

  it('acknowledges an error challenge per mechanism', () => {
    expect(saslErrorAcknowledgement('XOAUTH2')).toBe('');
    expect(text(saslErrorAcknowledgement('OAUTHBEARER'))).toBe('\x01');
  });
});

describe('error challenges', () => {
  it("reads Microsoft's and Google's JSON", () => {
    const scope = 'https://outlook.office.com/IMAP.AccessAsUser.All';
    expect(parseSaslErrorChallenge(b64(JSON.stringify({ status: '401', schemes: 'bearer', scope })))).toEqual(
      {
        status: '401',
        schemes: 'bearer',
        scope,
      },
    );
    expect(parseSaslErrorChallenge(b64('{"status":400}'))).toEqual({ status: '400' });
  });

  it('round-trips through the encoder, including the discovery URL', () => {
    const challenge = {
      status: 'invalid_token',
      scope: 's',
      openidConfiguration: 'https://idp.example/.well-known',
    };
    expect(text(encodeSaslErrorChallenge(challenge))).toContain('"openid-configuration"');
    expect(parseSaslErrorChallenge(encodeSaslErrorChallenge(challenge))).toEqual(challenge);
  });

  it.each([
    ['plain text', b64('not json')],
    ['a JSON array', b64('[1]')],
    ['JSON without status', b64('{"scope":"s"}')],
    ['not base64', 'Go ahead'],
    ['empty', ''],
  ])('returns undefined for %s', (_, input) => {
    expect(parseSaslErrorChallenge(input)).toBeUndefined();
  });
});
