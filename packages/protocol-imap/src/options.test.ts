import { ConfigError, type Logger, type ProtocolSettings, resolveConfig } from '@kalisto/core';
import { trustedSecureContext } from '@kalisto/core/plugin';
import { OFFLINE_PROPERTIES } from '@kalisto/test-support';
import { describe, expect, it } from 'vitest';
import { allowedMechanisms, IMAP_DEFAULTS, imapFlowOptions } from './options.js';

const base = OFFLINE_PROPERTIES;

const lines: string[] = [];
const logger: Logger = {
  debug: (obj, msg) => lines.push(`debug ${msg} ${JSON.stringify(obj)}`),
  info: (obj, msg) => lines.push(`info ${msg} ${JSON.stringify(obj)}`),
  warn: (obj, msg) => lines.push(`warn ${msg} ${JSON.stringify(obj)}`),
  error: (obj, msg) => lines.push(`error ${msg} ${JSON.stringify(obj)}`),
};

function settingsOf(properties: Record<string, string>, protocol: string) {
  const config = resolveConfig({ ...base, ...properties });
  const settings = config.protocols[protocol];
  if (!settings) throw new Error(`no ${protocol} settings`);
  return { config, settings };
}

describe('imapFlowOptions', () => {
  it('maps mail.imaps.* onto implicit TLS, timeouts, proxy and the TLS floor', () => {
    const { config, settings } = settingsOf(
      {
        'mail.imaps.host': 'imap.contoso.example',
        'mail.imaps.port': '1993',
        'mail.imaps.ssl.protocols': 'TLSv1.3',
        'mail.imaps.connectiontimeout': '1234',
        'mail.imaps.timeout': '5678',
        'mail.imaps.proxy.host': 'proxy.contoso.example',
        'mail.imaps.proxy.port': '3128',
      },
      'imaps',
    );
    const options = imapFlowOptions(settings, config, logger);
    expect(options).toMatchObject({
      host: 'imap.contoso.example',
      port: 1993,
      secure: true,
      connectionTimeout: 1234,
      greetingTimeout: 1234,
      socketTimeout: 5678,
      proxy: 'http://proxy.contoso.example:3128',
      logger: false,
      tls: { minVersion: 'TLSv1.3' },
    });
    expect(options).not.toHaveProperty('doSTARTTLS');
    expect(options.tls?.checkServerIdentity).toBeUndefined();
  });

  it('defaults imap to the reference table (implicit TLS on 993), ImapFlow timeouts when unset', () => {
    const { config, settings } = settingsOf({}, 'imap');
    expect(imapFlowOptions(settings, config, logger)).toMatchObject({
      host: 'outlook.office365.com',
      port: 993,
      secure: true,
      connectionTimeout: settings.connectionTimeoutMs,
    });
    const unset = { ...settings, connectionTimeoutMs: 0, timeoutMs: 0 };
    expect(imapFlowOptions(unset, config, logger)).toMatchObject({
      connectionTimeout: IMAP_DEFAULTS.connectionTimeoutMs,
      greetingTimeout: IMAP_DEFAULTS.greetingTimeoutMs,
      socketTimeout: IMAP_DEFAULTS.socketTimeoutMs,
    });
  });

  it('requires STARTTLS for imap with mail.imap.starttls.enable', () => {
    const { config, settings } = settingsOf(
      { 'mail.imap.ssl.enable': 'false', 'mail.imap.starttls.enable': 'true', 'mail.imap.port': '143' },
      'imap',
    );
    expect(imapFlowOptions(settings, config, logger)).toMatchObject({ secure: false, doSTARTTLS: true });
  });

  it('skips only the host name check with checkserveridentity=false (the chain is still verified)', () => {
    const { config, settings } = settingsOf({ 'mail.imaps.ssl.checkserveridentity': 'false' }, 'imaps');
    const tls = imapFlowOptions(settings, config, logger).tls;
    expect(tls?.checkServerIdentity?.('other.example', {} as never)).toBeUndefined();
    expect(tls).not.toHaveProperty('rejectUnauthorized');
  });

  it('refuses settings that would send the token unencrypted (a second guard behind resolveConfig)', () => {
    const { config, settings } = settingsOf({}, 'imap');
    const plain: ProtocolSettings = { ...settings, ssl: false, starttls: false };
    expect(() => imapFlowOptions(plain, config, logger)).toThrow(ConfigError);
    const optional: ProtocolSettings = { ...settings, ssl: false, starttls: true, starttlsRequired: false };
    expect(() => imapFlowOptions(optional, config, logger)).toThrow(/starttls\.required/);
    expect(imapFlowOptions(optional, { ...config, allowInsecureAuth: true }, logger)).toMatchObject({
      secure: false,
    });
    expect(imapFlowOptions(optional, { ...config, allowInsecureAuth: true }, logger)).not.toHaveProperty(
      'doSTARTTLS',
      true,
    );
  });

  it('routes ImapFlow logs to the session logger with mail.debug, message and fields apart', () => {
    const { config, settings } = settingsOf({ 'mail.debug': 'true' }, 'imaps');
    const imapflowLog = imapFlowOptions(settings, config, logger).logger;
    if (!imapflowLog) throw new Error('expected a logger');
    lines.length = 0;
    imapflowLog.debug({ src: 's', msg: '* OK ready', cid: 'abc' });
    imapflowLog.warn('bare text');
    expect(lines).toEqual(['debug * OK ready {"src":"s","cid":"abc"}', 'warn bare text {}']);
  });
});

describe('allowedMechanisms', () => {
  it('keeps the OAuth2 mechanisms in configured order and falls back to XOAUTH2', () => {
    expect(allowedMechanisms({ saslMechanisms: ['OAUTHBEARER', 'PLAIN', 'XOAUTH2'] })).toEqual([
      'OAUTHBEARER',
      'XOAUTH2',
    ]);
    expect(allowedMechanisms({ saslMechanisms: ['PLAIN'] })).toEqual(['XOAUTH2']);
  });
});

describe('imapFlowOptions TLS context', () => {
  it('uses the shared context for the CA and TLS floor, the same one on every connection', () => {
    const { config, settings } = settingsOf({ 'mail.imaps.ssl.protocols': 'TLSv1.3' }, 'imaps');
    const first = imapFlowOptions(settings, config, logger).tls?.secureContext;
    expect(first).toBe(trustedSecureContext({ ca: config.tlsCa, minVersion: 'TLSv1.3' }));
    expect(imapFlowOptions(settings, config, logger).tls?.secureContext).toBe(first);
  });
});
