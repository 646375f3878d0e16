import { resolveConfig } from '@kalisto/core';
import { createSandboxTls } from '@kalisto/sandbox';
import { OFFLINE_PROPERTIES } from '@kalisto/test-support';
import { describe, expect, it } from 'vitest';
import { chooseMechanism, parseCapabilities } from './capabilities.js';
import { pop3OptionsFromSettings, resolvePop3Options } from './options.js';

const base = OFFLINE_PROPERTIES;

describe('pop3OptionsFromSettings', () => {
  it('maps the mail.pop3s.* settings and kalisto.* properties onto connect options', async () => {
    // kalisto.tls.ca must be a real certificate: the resolver parses it.
    const { ca } = await createSandboxTls();
    const config = resolveConfig({
      ...base,
      'mail.pop3s.host': 'pop.contoso.example',
      'mail.pop3s.port': '1995',
      'mail.pop3s.ssl.protocols': 'TLSv1.3',
      'mail.pop3s.ssl.checkserveridentity': 'false',
      'mail.pop3s.sasl.mechanisms': 'OAUTHBEARER XOAUTH2',
      'mail.pop3s.connectiontimeout': '1234',
      'mail.pop3s.timeout': '5678',
      'mail.pop3s.maxResponseBytes': '65536',
      'kalisto.tls.ca': ca,
    });
    const settings = config.protocols.pop3s;
    if (!settings) throw new Error('no pop3s settings');
    expect(pop3OptionsFromSettings(settings, config)).toEqual({
      host: 'pop.contoso.example',
      port: 1995,
      secure: true,
      starttls: false,
      starttlsRequired: true,
      allowInsecureAuth: false,
      ca: config.tlsCa,
      minTlsVersion: 'TLSv1.3',
      checkServerIdentity: false,
      connectionTimeoutMs: 1234,
      timeoutMs: 5678,
      maxResponseBytes: 65536,
      saslMechanisms: ['OAUTHBEARER', 'XOAUTH2'],
      protocol: 'pop3s',
    });
  });

  it('defaults to Office 365 on implicit TLS with XOAUTH2', () => {
    const config = resolveConfig(base);
    const options = resolvePop3Options(pop3OptionsFromSettings(config.protocols.pop3s as never, config));
    expect(options).toMatchObject({
      host: 'outlook.office365.com',
      port: 995,
      secure: true,
      saslMechanisms: ['XOAUTH2'],
      checkServerIdentity: true,
      minTlsVersion: 'TLSv1.2',
      maxResponseBytes: 16 * 1024 * 1024,
      maxMessageBytes: 256 * 1024 * 1024,
    });
  });
});

describe('resolvePop3Options', () => {
  it('requires STLS on plain connections unless insecure auth is allowed', () => {
    expect(resolvePop3Options({ host: 'h', secure: false })).toMatchObject({
      port: 110,
      starttlsRequired: true,
    });
    expect(resolvePop3Options({ host: 'h', secure: false, allowInsecureAuth: true })).toMatchObject({
      starttlsRequired: false,
    });
  });
});

describe('capabilities', () => {
  const capabilities = parseCapabilities(
    'TOP\r\nUIDL\r\nSASL XOAUTH2 oauthbearer\r\nPIPELINING\r\nRESP-CODES\r\n',
  );

  it('parses CAPA lines into names and arguments', () => {
    expect([...capabilities.keys()]).toEqual(['TOP', 'UIDL', 'SASL', 'PIPELINING', 'RESP-CODES']);
    expect(capabilities.get('SASL')).toEqual(['XOAUTH2', 'oauthbearer']);
  });

  it('chooses the first preferred mechanism the server offers', () => {
    expect(chooseMechanism(['OAUTHBEARER', 'XOAUTH2'], capabilities)).toBe('OAUTHBEARER');
    expect(chooseMechanism(['XOAUTH2'], parseCapabilities('SASL PLAIN\r\n'))).toBeUndefined();
    expect(chooseMechanism(['XOAUTH2'], new Map())).toBe('XOAUTH2');
  });
});
