// What clients send, parsed as the sandbox's servers parse it: the encoders are core's, so every
// round trip here is our clients against our servers.

import { isKalistoError, type KalistoError } from '@kalisto/core';
import {
  oauthBearerInitialResponse,
  saslAuthCommand,
  saslErrorAcknowledgement,
  xoauth2InitialResponse,
} from '@kalisto/core/plugin';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  parseOAuthBearerResponse,
  parseSaslAuthCommand,
  parseSaslResponse,
  parseXOAuth2Response,
} from './sasl.js';

const TOKEN = 'eyJ0eXAiOiJKV1QifQ.eyJhdWQiOiJodHRwczovL291dGxvb2sub2ZmaWNlLmNvbSJ9.c2lnbmF0dXJlLXNlY3JldA';
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** Runs `fn` and returns the KalistoError it throws (failing the test when it throws nothing or something else). */
function thrown(fn: () => unknown): KalistoError {
  try {
    fn();
  } catch (error) {
    if (isKalistoError(error)) return error;
    throw error;
  }
  throw new Error('expected a KalistoError');
}

// Values a real user or token may hold: anything but control characters, never empty.
const safeString = fc
  .string({ unit: 'binary', minLength: 1, maxLength: 60 })
  .filter((s) => !/[\x00-\x1f\x7f]/.test(s));
const userWithEscapes = fc
  .tuple(safeString, fc.constantFrom(',', '=', '=2C', ',='), safeString)
  .map(([a, special, b]) => `${a}${special}${b}`);

describe('parsers', () => {
  it('parse what the encoders write', () => {
    expect(parseXOAuth2Response(xoauth2InitialResponse({ user: 'u@x.example', accessToken: TOKEN }))).toEqual(
      {
        user: 'u@x.example',
        accessToken: TOKEN,
      },
    );
    const credentials = { user: 'a,b=c@x.example', accessToken: TOKEN, host: 'imap.example', port: 993 };
    expect(parseOAuthBearerResponse(oauthBearerInitialResponse(credentials))).toEqual(credentials);
    expect(parseSaslResponse('XOAUTH2', xoauth2InitialResponse(credentials))).toEqual({
      user: credentials.user,
      accessToken: TOKEN,
    });
  });

  it('accept "bearer" in any case and keys in any order', () => {
    expect(parseXOAuth2Response(b64('auth=BEARER tok\x01user=u\x01\x01'))).toEqual({
      user: 'u',
      accessToken: 'tok',
    });
    expect(parseOAuthBearerResponse(b64('y,a=u,\x01auth=bearer tok\x01host=h\x01\x01'))).toEqual({
      user: 'u',
      accessToken: 'tok',
      host: 'h',
    });
  });

  it.each([
    ['not base64', '!!!'],
    ['empty', ''],
    ['not UTF-8', Buffer.from([0xff, 0xfe, 0x01, 0x01]).toString('base64')],
    ['no terminator', b64(`user=u\x01auth=Bearer ${TOKEN}`)],
    ['no user', b64(`auth=Bearer ${TOKEN}\x01\x01`)],
    ['empty user', b64(`user=\x01auth=Bearer ${TOKEN}\x01\x01`)],
    ['no bearer', b64(`user=u\x01auth=Basic ${TOKEN}\x01\x01`)],
    ['duplicate key', b64(`user=u\x01user=v\x01auth=Bearer ${TOKEN}\x01\x01`)],
    ['not key=value', b64(`user=u\x01${TOKEN}\x01\x01`)],
    ['control character in the token', b64(`user=u\x01auth=Bearer ${TOKEN}\x02\x01\x01`)],
  ])('reject a malformed XOAUTH2 response (%s) with SASL_MALFORMED, never quoting it', (_, input) => {
    const error = thrown(() => parseXOAuth2Response(input));
    expect(error.code).toBe('SASL_MALFORMED');
    expect(error.message).not.toContain(TOKEN);
    expect(error.message).not.toContain(input || '\u0000');
  });

  it.each([
    ['the error acknowledgement', saslErrorAcknowledgement('OAUTHBEARER')],
    ['no authzid', b64(`n,,\x01auth=Bearer ${TOKEN}\x01\x01`)],
    ['channel binding', b64(`p=tls-unique,a=u,\x01auth=Bearer ${TOKEN}\x01\x01`)],
    ['a bad escape', b64(`n,a=u=2Dv,\x01auth=Bearer ${TOKEN}\x01\x01`)],
    ['an unescaped comma', b64(`n,a=u,v,\x01auth=Bearer ${TOKEN}\x01\x01`)],
    ['a bad port', b64(`n,a=u,\x01port=99999\x01auth=Bearer ${TOKEN}\x01\x01`)],
    ['no auth', b64('n,a=u,\x01host=h\x01\x01')],
    ['no terminator', b64(`n,a=u,\x01auth=Bearer ${TOKEN}`)],
  ])('reject a malformed OAUTHBEARER response (%s) with SASL_MALFORMED', (_, input) => {
    const error = thrown(() => parseOAuthBearerResponse(input));
    expect(error.code).toBe('SASL_MALFORMED');
    expect(error.message).not.toContain(TOKEN);
  });
});

describe('properties', () => {
  it('XOAUTH2 round-trips any valid user and token', () => {
    fc.assert(
      fc.property(safeString, safeString, (user, accessToken) => {
        expect(parseXOAuth2Response(xoauth2InitialResponse({ user, accessToken }))).toEqual({
          user,
          accessToken,
        });
      }),
    );
  });

  it('OAUTHBEARER round-trips users with , and = and any host and port', () => {
    fc.assert(
      fc.property(
        userWithEscapes,
        safeString,
        fc.option(safeString, { nil: undefined }),
        fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
        (user, accessToken, host, port) => {
          const credentials = { user, accessToken, host, port };
          const parsed = parseOAuthBearerResponse(oauthBearerInitialResponse(credentials));
          expect(parsed).toEqual(JSON.parse(JSON.stringify(credentials)));
        },
      ),
    );
  });

  it('the parsers return credentials or throw SASL_MALFORMED for any input', () => {
    const candidates = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.base64String(),
      fc.string({ unit: 'binary' }).map(b64),
      fc
        .array(
          fc.constantFrom('n,a=u,', 'user=u', 'auth=Bearer t', 'host=h', 'port=1', '\x01', '=2C', ',', '='),
          {
            maxLength: 8,
          },
        )
        .map((parts) => b64(parts.join(''))),
    );
    fc.assert(
      fc.property(candidates, (input) => {
        for (const parse of [parseXOAuth2Response, parseOAuthBearerResponse]) {
          try {
            const parsed = parse(input);
            expect(parsed.user.length).toBeGreaterThan(0);
            expect(parsed.accessToken.length).toBeGreaterThan(0);
          } catch (error) {
            expect(isKalistoError(error) && error.code).toBe('SASL_MALFORMED');
          }
        }
      }),
    );
  });
});

describe('parseSaslAuthCommand', () => {
  const initialResponse = xoauth2InitialResponse({ user: 'u@x.example', accessToken: TOKEN });

  it('reads back the lines saslAuthCommand writes', () => {
    const { command } = saslAuthCommand({ protocol: 'imap', mechanism: 'XOAUTH2', initialResponse });
    expect(parseSaslAuthCommand('imap', `A1 ${command}`)).toEqual({
      tag: 'A1',
      mechanism: 'XOAUTH2',
      initialResponse,
    });
  });

  it('parses any case, the empty response and the two-line form; undefined for other lines', () => {
    expect(parseSaslAuthCommand('imap', `A1 AUTHENTICATE xoauth2 ${initialResponse}`)).toEqual({
      tag: 'A1',
      mechanism: 'XOAUTH2',
      initialResponse,
    });
    expect(parseSaslAuthCommand('pop3', 'AUTH XOAUTH2')).toEqual({ mechanism: 'XOAUTH2' });
    expect(parseSaslAuthCommand('smtp', 'auth OAUTHBEARER =')).toEqual({
      mechanism: 'OAUTHBEARER',
      initialResponse: '',
    });
    expect(parseSaslAuthCommand('smtp', 'AUTH')).toBeUndefined();
    expect(parseSaslAuthCommand('imap', 'A1 LOGIN u p')).toBeUndefined();
    expect(parseSaslAuthCommand('pop3', 'AUTH XOAUTH2 a b')).toBeUndefined();
  });
});
