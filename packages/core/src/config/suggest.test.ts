import { describe, expect, it } from 'vitest';
import { environmentName } from './environment.js';
import { suggest } from './suggest.js';

describe('suggest', () => {
  const known = ['o365.oauth.clientId', 'o365.oauth.clientSecret', 'o365.oauth.tenant'];

  it('finds a name that differs in case, by a transposition or by up to two edits', () => {
    expect(suggest('o365.oauth.clientID', known)).toBe('o365.oauth.clientId');
    expect(suggest('o365.oauth.tenatn', known)).toBe('o365.oauth.tenant');
    expect(suggest('o365.oauth.clientScret', known)).toBe('o365.oauth.clientSecret');
  });

  it('suggests nothing for an exact match or a distant name', () => {
    expect(suggest('o365.oauth.tenant', known)).toBeUndefined();
    expect(suggest('o365.oauth.authority', known)).toBeUndefined();
  });
});

describe('environmentName', () => {
  it('upper-cases and turns dots into underscores', () => {
    expect(environmentName('o365.oauth.clientId')).toBe('O365_OAUTH_CLIENTID');
    expect(environmentName('mail.smtp.socketFactory.fallback')).toBe('MAIL_SMTP_SOCKETFACTORY_FALLBACK');
  });
});

describe('suggest between equally close names', () => {
  it('prefers the one with the same letters (a transposition), else the first', () => {
    expect(suggest('imasp', ['imap', 'imaps'])).toBe('imaps');
    expect(suggest('imapp', ['imap', 'imaps'])).toBe('imap');
  });
});
