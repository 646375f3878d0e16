import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { APP, CLIENT_ID, configErrorOf as configError, TENANT } from '../../test/config-fixtures.js';
import { describeConfig, formatConfig } from './describe.js';
import { isSecretProperty } from './redaction.js';
import { resolveConfig } from './resolve.js';

/** Values given under mistyped or made-up secret names; none may be printed. */
const MISTYPED = {
  'o365.pasword': 'mistyped-password-1',
  'o365.oauth.clientSecert': 'mistyped-client-secret-2',
  'o365.oauth.certificate.privatKey': 'mistyped-private-key-3',
  'O365.PASSWORD': 'upper-case-password-4',
  'o365.pwd': 'made-up-pwd-5',
  'kalisto.apiKey': 'made-up-key-6',
  'mail.imap.token': 'made-up-token-7',
  'mail.smtp.credentials': 'made-up-credential-8',
  'o365.privat': 'made-up-private-9',
  'mail.smtp.pass': 'made-up-pass-10',
};

describe('isSecretProperty', () => {
  it('is true for the secret rows, their near misses and unknown names that suggest a secret', () => {
    for (const name of ['o365.password', 'o365.oauth.clientSecret', 'o365.oauth.certificate.privateKey'])
      expect(isSecretProperty(name), name).toBe(true);
    for (const name of Object.keys(MISTYPED)) expect(isSecretProperty(name), name).toBe(true);
    for (const name of ['o365.oauth.client_secret', 'mail.imap.passwd', 'websphere.authToken'])
      expect(isSecretProperty(name), name).toBe(true);
  });

  it('is false for known non-secret properties, whatever their name contains', () => {
    for (const name of [
      'kalisto.token.refreshSkew',
      'o365.oauth.certificate.thumbprint',
      'o365.oauth.clientId',
      'mail.imap.host',
      'mail.token.host', // a custom protocol named token: its host row is a known row
      'mail.token.port',
      'mail.smtp.user',
      'mail.imap.partialfetch',
    ])
      expect(isSecretProperty(name), name).toBe(false);
  });
});

describe('printing a configuration with mistyped secret names', () => {
  const config = resolveConfig({ ...APP, ...MISTYPED });
  const printed = [
    JSON.stringify(describeConfig(config)),
    formatConfig(config),
    JSON.stringify(config.properties),
    inspect(config.properties, { depth: 4 }),
    JSON.stringify(config.protocols),
    inspect(config, { depth: 6 }),
  ].join('\n');

  it('shows *** for each of their values, in every printer', () => {
    for (const [name, value] of Object.entries(MISTYPED)) {
      expect(printed).not.toContain(value);
      expect(describeConfig(config).find((row) => row.property === name)?.value, name).toBe('***');
    }
  });

  it('still warns about the near misses, naming them (names are not secret)', () => {
    expect(config.warnings?.map((w) => w.property)).toEqual(
      expect.arrayContaining(['o365.pasword', 'o365.oauth.clientSecert', 'o365.oauth.certificate.privatKey']),
    );
  });
});

describe('values shown in a ConfigError', () => {
  it('redacts a value a stray line continuation joined to a secret property', () => {
    const text = [
      `o365.oauth.tenant=${TENANT}`,
      `o365.oauth.clientId=${CLIENT_ID}`,
      'mail.imaps.port=993\\',
      'o365.oauth.clientSecret=joined-secret-value',
    ].join('\n');
    const error = configError(() => resolveConfig(text));
    const issue = error.issues.find((i) => i.property === 'mail.imaps.port');
    expect(issue?.value).toBe('***');
    expect(issue?.expected).toContain('o365.oauth.clientSecret');
    expect(error.message).toContain('mail.imaps.port');
    expect(`${error.message}\n${JSON.stringify(error)}\n${inspect(error)}`).not.toContain(
      'joined-secret-value',
    );
  });

  it('redacts a value that contains a configured secret', () => {
    const error = configError(() =>
      resolveConfig({ ...APP, 'mail.imap.port': 'x app-secret', 'mail.smtp.host': 'a b' }),
    );
    expect(error.issues.find((i) => i.property === 'mail.imap.port')?.value).toBe('***');
    expect(error.message).not.toContain('app-secret');
    expect(error.issues.find((i) => i.property === 'mail.smtp.host')?.value).toBe('a b');
  });
});
