/** Fuzzing the configuration: the .properties parser and the resolver (maps, Maps, text, odd values). */
import { parseProperties, resolveConfig } from '@kalisto/core';
import fc from 'fast-check';
import type { Scenario } from '../scenario.js';
import { fuzzScenario } from '../support/fuzz.js';

/** Pieces `.properties` text is made of, to reach the escapes and continuations often. */
const PROPERTIES_PIECE = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.constantFrom(
    '=',
    ':',
    ' ',
    '\t',
    '\\',
    '\\\\',
    '\\\n',
    '\\\r\n',
    '\n',
    '\r',
    '#',
    '!',
    '\\u',
    '\\u00',
    '\\u004',
    '\\u0041',
    '\\uZZZZ',
    '\uFEFF',
    'mail.imap.host',
    'o365.password',
  ),
);
const PROPERTIES_TEXT = fc.array(PROPERTIES_PIECE, { maxLength: 40 }).map((pieces) => pieces.join(''));

const NAMES = [
  'o365.user',
  'o365.password',
  'o365.oauth.tenant',
  'o365.oauth.clientId',
  'o365.oauth.clientSecret',
  'o365.oauth.flow',
  'o365.oauth.scope',
  'o365.oauth.authority',
  'o365.cloud',
  'o365.oauth.provider',
  'mail.imap.host',
  'mail.imap.port',
  'mail.imaps.ssl.protocols',
  'mail.smtp.pool.enable',
  'mail.pop3.maxResponseBytes',
  'mail.x.host',
  'mail.x.port',
  'mail.store.protocol',
  'kalisto.oauth.timeout',
  'kalisto.tls.ca',
  'security.encoder.class',
  'websphere.cache',
  '__proto__',
  'constructor',
];
const NAME = fc.oneof(
  fc.constantFrom(...NAMES),
  fc.string({ maxLength: 30 }),
  fc.stringMatching(/^mail\.[a-z]{1,6}\.[a-z.]{1,20}$/),
);
const VALUE = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '993',
    '-1',
    '99999999999',
    'true',
    'TLSv1',
    '{xor}',
    '{xor}LCwt',
    'env:KALISTO_NOPE',
    'file:/nonexistent/kalisto',
    'https://127.0.0.1',
    'host with space',
    'a\r\nb',
    'client_credentials',
    'usgov',
  ),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.object({ maxDepth: 1 }),
);
const CONFIG_INPUT = fc.oneof(
  fc.dictionary(NAME, VALUE, { maxKeys: 12 }),
  fc
    .array(fc.tuple(fc.oneof(NAME, fc.integer(), fc.constant(Symbol.iterator)), VALUE), { maxLength: 8 })
    .map((entries) => new Map<unknown, unknown>(entries)),
  PROPERTIES_TEXT,
  fc.anything(),
);

export const scenarios: readonly Scenario[] = [
  fuzzScenario({
    id: 'properties-parser',
    title: '.properties parser',
    inputs:
      'text built from keys, separators, escapes (`\\uXXXX` whole and broken), continuations, CR/LF, BOM and random characters',
    arbitrary: PROPERTIES_TEXT,
    target: parseProperties,
  }),
  fuzzScenario({
    id: 'config-resolver',
    title: 'config resolver',
    inputs:
      'property maps (known, near-miss and random names; strings, numbers, NaN, objects, null), Maps with non-string keys, .properties text, anything',
    arbitrary: CONFIG_INPUT,
    target: (input) => resolveConfig(input as Parameters<typeof resolveConfig>[0], { env: {} }),
  }),
];
