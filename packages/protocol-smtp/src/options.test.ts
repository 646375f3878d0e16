import { type ProtocolSettings, resolveConfig } from '@kalisto/core';
import { trustedSecureContext } from '@kalisto/core/plugin';
import { describe, expect, it } from 'vitest';
import { poolSettings, smtpConnectionOptions, tlsMode } from './options.js';

const BASE = {
  'o365.oauth.tenant': 'contoso.onmicrosoft.com',
  'o365.oauth.clientId': '782d2e03-9066-4d59-ab6a-a2cfbc0212a1',
  'o365.oauth.clientSecret': 'unused',
};

function settingsOf(properties: Record<string, string>, protocol = 'smtp'): ProtocolSettings {
  const settings = resolveConfig({ ...BASE, ...properties }).protocols[protocol];
  if (settings === undefined) throw new Error(`no ${protocol} settings`);
  return settings;
}

describe('tlsMode', () => {
  it('implicit TLS, required STARTTLS, opportunistic STARTTLS, none', () => {
    expect(tlsMode({ ssl: true, starttls: false, starttlsRequired: true })).toEqual({ secure: true });
    expect(tlsMode({ ssl: false, starttls: true, starttlsRequired: true })).toEqual({
      secure: false,
      requireTLS: true,
    });
    expect(tlsMode({ ssl: false, starttls: true, starttlsRequired: false })).toEqual({ secure: false });
    expect(tlsMode({ ssl: false, starttls: false, starttlsRequired: false })).toEqual({
      secure: false,
      ignoreTLS: true,
    });
  });
});

describe('smtpConnectionOptions', () => {
  it('maps the Office 365 defaults: 587, STARTTLS required, TLS 1.2 floor, JavaMail timeouts', () => {
    const options = smtpConnectionOptions(settingsOf({}), { tlsCa: undefined });
    expect(options).toMatchObject({
      host: 'smtp.office365.com',
      port: 587,
      secure: false,
      requireTLS: true,
      connectionTimeout: 30_000,
      greetingTimeout: 30_000,
      socketTimeout: 300_000,
    });
    expect(options.pool).toBeUndefined();
    expect(options.tls?.secureContext).toBe(trustedSecureContext({ minVersion: 'TLSv1.2' }));
    expect(options.tls).not.toHaveProperty('ca');
    expect(options.tls).not.toHaveProperty('checkServerIdentity');
  });

  it('smtps is implicit TLS on 465', () => {
    expect(smtpConnectionOptions(settingsOf({}, 'smtps'), { tlsCa: undefined })).toMatchObject({
      port: 465,
      secure: true,
    });
  });

  it('honours the TLS floor, an extra CA besides the roots, a relaxed name check, proxy and EHLO name', () => {
    const options = smtpConnectionOptions(
      settingsOf({
        'mail.smtp.ssl.protocols': 'TLSv1.3',
        'mail.smtp.ssl.checkserveridentity': 'false',
        'mail.smtp.proxy.host': 'proxy.internal',
        'mail.smtp.proxy.port': '3128',
        'mail.smtp.localhost': 'app01.contoso.example',
        'mail.smtp.connectiontimeout': '5000',
        'mail.smtp.timeout': '60000',
      }),
      { tlsCa: 'PEM' },
    );
    expect(options).toMatchObject({
      proxy: 'http://proxy.internal:3128',
      name: 'app01.contoso.example',
      connectionTimeout: 5000,
      socketTimeout: 60_000,
    });
    // One shared context for the CA and TLS floor: a new pool connection does not build its own.
    expect(options.tls?.secureContext).toBe(trustedSecureContext({ ca: 'PEM', minVersion: 'TLSv1.3' }));
    expect(options.tls?.checkServerIdentity?.('host', {} as never)).toBeUndefined();
  });

  it('allowInsecure without STARTTLS sends nothing over TLS (test servers only)', () => {
    const settings = settingsOf({
      'kalisto.auth.allowInsecure': 'true',
      'mail.smtp.starttls.enable': 'false',
    });
    expect(smtpConnectionOptions(settings, { tlsCa: undefined })).toMatchObject({
      secure: false,
      ignoreTLS: true,
    });
  });
});

describe('poolSettings', () => {
  it('is off unless mail.<p>.pool.enable is true; defaults of 3 connections and 100 messages', () => {
    expect(poolSettings(settingsOf({}))).toBeUndefined();
    expect(poolSettings(settingsOf({ 'mail.smtp.pool.enable': 'true' }))).toEqual({
      maxConnections: 3,
      maxMessages: 100,
    });
  });

  it('reads maxConnections and maxMessages', () => {
    const settings = settingsOf({
      'mail.smtp.pool.enable': 'TRUE',
      'mail.smtp.pool.maxConnections': '2',
      'mail.smtp.pool.maxMessages': '500',
    });
    expect(poolSettings(settings)).toEqual({ maxConnections: 2, maxMessages: 500 });
    expect(smtpConnectionOptions(settings, { tlsCa: undefined })).toMatchObject({
      pool: true,
      maxConnections: 2,
      maxMessages: 500,
    });
  });

  it('bad pool properties fail in resolveConfig, all named in one ConfigError', () => {
    expect(() =>
      settingsOf({
        'mail.smtp.pool.enable': 'yes',
        'mail.smtp.pool.maxConnections': '0',
        'mail.smtp.pool.maxMessages': '1.5',
      }),
    ).toThrow(
      expect.objectContaining({
        name: 'ConfigError',
        issues: [
          expect.objectContaining({ property: 'mail.smtp.pool.enable' }),
          expect.objectContaining({ property: 'mail.smtp.pool.maxConnections' }),
          expect.objectContaining({ property: 'mail.smtp.pool.maxMessages' }),
        ],
      }),
    );
  });
});
