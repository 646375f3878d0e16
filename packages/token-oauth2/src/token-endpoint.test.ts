import { describe, expect, it } from 'vitest';
import { buildTokenRequest } from './token-endpoint.js';

const grant = { grant_type: 'client_credentials' };
const scopes = ['https://outlook.office365.com/.default'];

describe('buildTokenRequest', () => {
  it('puts the client secret in the body by default, like the Java library', () => {
    const { form, headers } = buildTokenRequest(
      { clientId: 'id', clientSecret: 's3cr3t', clientAuth: 'body' },
      { grant, scopes },
    );
    expect(Object.fromEntries(form)).toEqual({
      grant_type: 'client_credentials',
      scope: 'https://outlook.office365.com/.default',
      client_id: 'id',
      client_secret: 's3cr3t',
    });
    expect(headers.authorization).toBeUndefined();
    expect(headers['content-type']).toBe('application/x-www-form-urlencoded');
  });

  it('sends HTTP Basic with form-encoded id and secret (RFC 6749 2.3.1) and no secret in the body', () => {
    const { form, headers } = buildTokenRequest(
      { clientId: 'my app', clientSecret: 'a:b+c/d~', clientAuth: 'basic' },
      { grant, scopes },
    );
    expect(form.has('client_secret')).toBe(false);
    expect(form.has('client_id')).toBe(false);
    const decoded = Buffer.from((headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString();
    expect(decoded).toBe('my+app:a%3Ab%2Bc%2Fd%7E');
  });

  it('sends only client_id for a public client', () => {
    const { form, headers } = buildTokenRequest(
      { clientId: 'id', clientAuth: 'basic' },
      { grant, scopes: [] },
    );
    expect(Object.fromEntries(form)).toEqual({ grant_type: 'client_credentials', client_id: 'id' });
    expect(headers.authorization).toBeUndefined();
  });
});
