/** Fuzzing what servers and tokens send: SASL parsers, the POP3 reply parser, claims, token responses. */
import { decodeTokenClaims } from '@kalisto/core';
import { parseSaslErrorChallenge } from '@kalisto/core/plugin';
import { type Pop3ReplyKind, Pop3ResponseParser } from '@kalisto/protocol-pop3';
import { parseOAuthBearerResponse, parseSaslAuthCommand, parseXOAuth2Response } from '@kalisto/sandbox';
import { parseTokenResponse } from '@kalisto/token-oauth2';
import fc from 'fast-check';
import type { Scenario } from '../scenario.js';
import { fuzzScenario } from '../support/fuzz.js';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** SASL payloads: random text, and XOAUTH2/OAUTHBEARER shapes with parts missing or doubled. */
const SASL_TEXT = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc
    .array(
      fc.constantFrom(
        'user=',
        'auth=Bearer ',
        'auth=bearer',
        'n,a=',
        'n,,',
        'p=x,',
        'y,a=',
        'host=',
        'port=',
        '99999',
        'a@b',
        'tok',
        '\x01',
        '\x01\x01',
        '=',
        ',',
        '\x00',
        'é',
      ),
      { maxLength: 12 },
    )
    .map((parts) => parts.join('')),
);
const SASL_INPUT = fc.oneof(
  SASL_TEXT.map(b64),
  SASL_TEXT,
  fc.base64String({ maxLength: 80 }),
  fc.constantFrom('', '=', '====', 'e30=', 'bnVsbA==', 'W10='),
);

/** A POP3 reply stream: status lines, bodies, dots, garbage; split into random chunks. */
const POP3_PIECES = fc.array(
  fc.oneof(
    fc.constantFrom(
      '+OK',
      '+OK ',
      '-ERR',
      '-ERR [IN-USE] busy',
      '+ ',
      '+',
      '.',
      '..',
      '.\r',
      '\r\n',
      '\n',
      '\r',
      '[SYS/TEMP]',
      ' ',
    ),
    fc.string({ maxLength: 30 }),
    fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
  ),
  { maxLength: 60 },
);
interface Pop3Stream {
  kinds: Pop3ReplyKind[];
  text: string;
  cuts: number[];
  maxLineLength: number | undefined;
}

const POP3_STREAM: fc.Arbitrary<Pop3Stream> = fc.record({
  kinds: fc.array(fc.constantFrom<Pop3ReplyKind>('single', 'multi', 'auth'), { minLength: 1, maxLength: 8 }),
  text: POP3_PIECES.map((pieces) => pieces.join('')),
  cuts: fc.array(fc.nat(2_000), { maxLength: 6 }),
  maxLineLength: fc.option(fc.integer({ min: 1, max: 256 }), { nil: undefined }),
});

function feedPop3({ kinds, text, cuts, maxLineLength }: Pop3Stream): void {
  const parser = new Pop3ResponseParser({
    endpoint: { protocol: 'pop3s', host: '127.0.0.1', port: 995 },
    ...(maxLineLength ? { maxLineLength } : {}),
  });
  for (const kind of kinds) parser.expect({ kind, onStatus() {}, onBody() {}, onEnd() {} });
  const bytes = Buffer.from(text, 'latin1');
  let from = 0;
  for (const cut of [...cuts].sort((a, b) => a - b).filter((c) => c < bytes.length)) {
    parser.push(Buffer.from(bytes.subarray(from, Math.max(from, cut))));
    from = Math.max(from, cut);
  }
  parser.push(Buffer.from(bytes.subarray(from)));
}

const JSON_VALUE = fc.jsonValue({ maxDepth: 3 });
const CLAIMS = fc.oneof(
  fc.record(
    {
      aud: JSON_VALUE,
      scp: JSON_VALUE,
      roles: JSON_VALUE,
      exp: JSON_VALUE,
      upn: JSON_VALUE,
      tid: JSON_VALUE,
    },
    { requiredKeys: [] },
  ),
  JSON_VALUE,
);
const JWT_LIKE = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc
    .tuple(fc.string({ maxLength: 20 }), CLAIMS, fc.string({ maxLength: 20 }))
    .map(
      ([head, claims, sig]) =>
        `${Buffer.from(head).toString('base64url')}.${Buffer.from(JSON.stringify(claims) ?? '').toString('base64url')}.${sig}`,
    ),
  fc
    .array(fc.constantFrom('eyJ', '.', 'e30', 'bnVsbA', 'W10', '%%', '=='), { maxLength: 8 })
    .map((p) => p.join('')),
);

const TOKEN_BODY = fc.oneof(
  fc.record(
    {
      access_token: fc.oneof(fc.string({ maxLength: 20 }), JWT_LIKE, JSON_VALUE),
      expires_in: fc.oneof(
        fc.integer(),
        fc.double(),
        fc.string({ maxLength: 10 }),
        fc.constantFrom('3599', ' 60 ', '1e309', '-1', 'NaN'),
        JSON_VALUE,
      ),
      expires_on: JSON_VALUE,
      scope: fc.oneof(fc.string({ maxLength: 40 }), JSON_VALUE),
      refresh_token: JSON_VALUE,
    },
    { requiredKeys: [] },
  ),
  fc.anything(),
);

export const scenarios: readonly Scenario[] = [
  fuzzScenario({
    id: 'sasl-parsers',
    title: 'SASL parsers',
    inputs:
      'base64 and raw XOAUTH2/OAUTHBEARER payloads with parts missing, doubled or malformed; AUTH command lines; error challenges',
    arbitrary: fc.tuple(fc.nat(3), SASL_INPUT, fc.string({ maxLength: 60 })),
    target: ([which, payload, line]) => {
      if (which === 0) return parseXOAuth2Response(payload);
      if (which === 1) return parseOAuthBearerResponse(payload);
      if (which === 2) return parseSaslErrorChallenge(payload);
      return ['imap', 'pop3', 'smtp'].map((p) => parseSaslAuthCommand(p as 'imap', `${line} ${payload}`));
    },
  }),
  fuzzScenario({
    id: 'pop3-reply-parser',
    title: 'POP3 reply parser',
    inputs:
      'reply streams of status lines, continuations, bodies, dots and random bytes, split into random chunks, for random reply kinds and line bounds',
    arbitrary: POP3_STREAM,
    target: feedPop3,
  }),
  fuzzScenario({
    id: 'claims-decoder',
    title: 'claims decoder',
    inputs:
      'random strings, JWT-shaped strings with random JSON payloads (odd claim types), broken base64url',
    arbitrary: JWT_LIKE,
    target: decodeTokenClaims,
  }),
  fuzzScenario({
    id: 'token-response-parser',
    title: 'token-response parser',
    inputs:
      'token endpoint bodies with odd `access_token`, `expires_in` (strings, NaN, huge, negative), `expires_on`, `scope`, and anything at all',
    arbitrary: fc.tuple(TOKEN_BODY, fc.array(fc.string({ maxLength: 20 }), { maxLength: 3 })),
    target: ([body, scopes]) => parseTokenResponse(body, scopes),
  }),
];
