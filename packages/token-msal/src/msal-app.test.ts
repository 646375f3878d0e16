import { ConfigError, type OAuthSettings, Secret } from '@kalisto/core';
import { describe, expect, it } from 'vitest';
import { clientCredential } from './msal-app.js';

const base = { clientSecret: undefined, certificate: undefined } as unknown as OAuthSettings;
const key = new Secret('-----BEGIN PRIVATE KEY-----\nMII...\n-----END PRIVATE KEY-----\n');

describe('clientCredential', () => {
  it('prefers the certificate, reading a SHA-1 thumbprint with separators', () => {
    const thumbprint = `${'0a'.repeat(19)}ff`;
    const withColons = thumbprint.replace(/(..)(?!$)/g, '$1:');
    const oauth = {
      ...base,
      clientSecret: new Secret('s'),
      certificate: { thumbprint: withColons, privateKey: key },
    };
    expect(clientCredential(oauth)).toEqual({
      clientCertificate: { thumbprint: thumbprint.toUpperCase(), privateKey: key.reveal() },
    });
  });

  it('takes a 64-digit thumbprint as SHA-256', () => {
    const thumbprint = 'b'.repeat(64);
    const credential = clientCredential({ ...base, certificate: { thumbprint, privateKey: key } });
    expect(credential).toEqual({
      clientCertificate: { thumbprintSha256: thumbprint.toUpperCase(), privateKey: key.reveal() },
    });
  });

  it('refuses a thumbprint of another length, without echoing the key', () => {
    const oauth = { ...base, certificate: { thumbprint: 'abc', privateKey: key } };
    expect(() => clientCredential(oauth)).toThrow(ConfigError);
    expect(() => clientCredential(oauth)).toThrow(/o365\.oauth\.certificate\.thumbprint/);
    expect(() => clientCredential(oauth)).not.toThrow(/PRIVATE KEY/);
  });

  it('falls back to the client secret, else to nothing', () => {
    expect(clientCredential({ ...base, clientSecret: new Secret('value') })).toEqual({
      clientSecret: 'value',
    });
    expect(clientCredential(base)).toBeUndefined();
  });
});
