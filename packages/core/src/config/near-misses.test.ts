import { describe, expect, it } from 'vitest';
import { APP, CLIENT_ID, resolveError, TENANT } from '../../test/config-fixtures.js';
import { resolveConfig } from './resolve.js';

describe('near misses in errors', () => {
  it('points mail.imasp.host at mail.imaps.host, not at its own sibling mail.imasp.port', () => {
    const error = resolveError({ ...APP, 'mail.imasp.host': 'imap.contoso.example' });
    const issue = error.issues.find((i) => i.property === 'mail.imasp.port');
    expect(issue?.expected).toContain('found "mail.imasp.host": did you mean mail.imaps.host?');
    expect(issue?.expected).not.toContain('did you mean mail.imasp.port');
  });

  it('names a misspelt client secret in the "missing secret" error', () => {
    const error = resolveError({
      'o365.oauth.tenant': TENANT,
      'o365.oauth.clientId': CLIENT_ID,
      'o365.oauth.clientSecert': 'typo-secret-value',
    });
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]?.property).toBe('o365.oauth.clientSecret');
    expect(error.issues[0]?.expected).toContain(
      'found "o365.oauth.clientSecert": did you mean o365.oauth.clientSecret?',
    );
    expect(error.message).not.toContain('typo-secret-value');
  });

  it('names misspelt password, user and certificate key in the errors of their flows', () => {
    const password = resolveError({
      'o365.oauth.tenant': TENANT,
      'o365.oauth.clientId': CLIENT_ID,
      'o365.oauth.flow': 'password',
      'o365.usr': 'someone@contoso.example',
      'o365.pasword': 'x',
    });
    expect(password.issues.map((i) => i.expected).join('\n')).toContain(
      'found "o365.usr": did you mean o365.user?',
    );
    expect(password.issues.map((i) => i.expected).join('\n')).toContain(
      'found "o365.pasword": did you mean o365.password?',
    );
    const certificate = resolveError({
      ...APP,
      'o365.oauth.certificate.thumbprint': 'a'.repeat(40),
      'o365.oauth.certificate.privatKey': 'x',
    });
    expect(certificate.issues[0]?.expected).toContain(
      'found "o365.oauth.certificate.privatKey": did you mean o365.oauth.certificate.privateKey?',
    );
  });
});

describe('o365.oauth.tenant', () => {
  const base = { 'o365.oauth.clientId': CLIENT_ID, 'o365.oauth.clientSecret': 'secret-value' };

  it('is not needed by another provider whose token URL has no %s', () => {
    const config = resolveConfig({
      ...base,
      'o365.oauth.provider': 'oauth2',
      'o365.oauth.url': 'https://idp.example.com/oauth2/token',
    });
    expect(config.oauth).toMatchObject({ tenant: '', tokenUrl: 'https://idp.example.com/oauth2/token' });
  });

  it('is needed by msal, and by a token URL with %s', () => {
    for (const extra of [
      {},
      { 'o365.oauth.provider': 'oauth2' },
      { 'o365.oauth.provider': 'oauth2', 'o365.oauth.url': 'https://idp.example.com/%s/token' },
    ]) {
      const error = resolveError({ ...base, ...extra });
      expect(error.issues.map((issue) => issue.property)).toEqual(['o365.oauth.tenant']);
    }
  });
});
