import { describe, expect, it } from 'vitest';
import { CLIENT_ID, JAVA_GUIDE_EXAMPLE, TENANT } from '../../test/config-fixtures.js';
import { findProperty, MAIL_PROTOCOLS, PROPERTY_TABLE } from './property-table.js';
import { resolveConfig } from './resolve.js';

/** Copied from shared/reference/javamail-properties.md, "Optional properties and their defaults". */
const REFERENCE_DEFAULTS: readonly (readonly [string, string])[] = [
  ['o365.oauth.url', 'https://login.microsoftonline.com/%s/oauth2/v2.0/token'],
  ['o365.oauth.scope', 'https://outlook.office.com/.default'],
  ['mail.imap.ssl.enable', 'true'],
  ['mail.imap.ssl.protocols', 'TLSv1.2'],
  ['mail.imap.sasl.enable', 'true'],
  ['mail.imap.sasl.mechanisms', 'XOAUTH2'],
  ['mail.imap.auth.login.disable', 'true'],
  ['mail.imap.auth.plain.disable', 'true'],
  ['mail.imap.host', 'outlook.office365.com'],
  ['mail.imap.port', '993'],
  ['mail.smtp.starttls.enable', 'true'],
  ['mail.smtp.socketFactory.fallback', 'true'],
  ['mail.smtp.ssl.enable', 'false'],
  ['mail.smtp.ssl.protocols', 'TLSv1.2'],
  ['mail.smtp.auth', 'true'],
  ['mail.smtp.sasl.enable', 'true'],
  ['mail.smtp.sasl.mechanisms', 'XOAUTH2'],
  ['mail.smtp.auth.login.disable', 'true'],
  ['mail.smtp.auth.plain.disable', 'true'],
  ['mail.smtp.host', 'smtp.office365.com'],
  ['mail.smtp.port', '587'],
  // The POP3/IMAPS/POP3S/SMTPS analogues the reference spells out in words.
  ['mail.pop3.host', 'outlook.office365.com'],
  ['mail.pop3.port', '995'],
  ['mail.pop3.ssl.enable', 'true'],
  ['mail.pop3.sasl.mechanisms', 'XOAUTH2'],
  ['mail.smtps.port', '465'],
];

/** The reference's required rows: every one is a known property. */
const REFERENCE_REQUIRED = [
  'websphere.cache',
  'security.encoder.class',
  'o365.user',
  'o365.password',
  'o365.oauth.tenant',
  'o365.oauth.clientId',
  'o365.oauth.clientSecret',
  'mail.smtp.user',
  'mail.store.protocol',
  'mail.imap.class',
  'mail.imap.mailbox.timeout',
  'mail.transport.protocol',
  'mail.smtp.class',
];

/** The least a password-grant configuration (the Java library's flow) needs. */
const MINIMAL = {
  'o365.oauth.tenant': TENANT,
  'o365.oauth.clientId': CLIENT_ID,
  'o365.user': 'someone@contoso.example',
  'o365.password': 'pw',
};

describe('the property table', () => {
  it.each(REFERENCE_DEFAULTS)('%s defaults to %s when absent', (property, value) => {
    const config = resolveConfig(MINIMAL);
    expect(config.properties[property]).toBe(value);
    expect(config.sources[property]).toBe('default');
  });

  it('resolves the reference defaults into typed settings', () => {
    const config = resolveConfig(MINIMAL);
    expect(config.oauth.tokenUrl).toBe(`https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/token`);
    expect(config.oauth.scopes).toEqual(['https://outlook.office.com/.default']);
    expect(config.protocols.imap).toMatchObject({
      host: 'outlook.office365.com',
      port: 993,
      ssl: true,
      minTlsVersion: 'TLSv1.2',
      saslMechanisms: ['XOAUTH2'],
    });
    expect(config.protocols.smtp).toMatchObject({
      host: 'smtp.office365.com',
      port: 587,
      ssl: false,
      starttls: true,
      starttlsRequired: true,
      auth: true,
    });
    expect(config.protocols.imaps).toMatchObject({ port: 993, ssl: true });
    expect(config.protocols.pop3).toMatchObject({ host: 'outlook.office365.com', port: 995, ssl: true });
    expect(config.protocols.pop3s).toMatchObject({ port: 995, ssl: true });
    expect(config.protocols.smtps).toMatchObject({ host: 'smtp.office365.com', port: 465, ssl: true });
    expect(config.storeProtocol).toBe('imap');
    expect(config.transportProtocol).toBe('smtp');
  });

  it('knows every required row of the reference', () => {
    const names = new Set(PROPERTY_TABLE.map((row) => row.name));
    for (const name of REFERENCE_REQUIRED) expect(names, name).toContain(name);
  });

  it('has the same rows for each of the six protocols, each row described', () => {
    const kindSpecific = [
      'auth',
      'from',
      'localhost',
      'pool.enable',
      'pool.maxConnections',
      'pool.maxMessages',
    ];
    const suffixes = (protocol: string) =>
      PROPERTY_TABLE.filter((row) => row.protocol === protocol)
        .map((row) => row.name.slice(`mail.${protocol}.`.length))
        .filter(
          (suffix) =>
            ![...kindSpecific, 'mailbox.timeout', 'maxConnections', 'maxConnections.wait'].includes(suffix),
        )
        .sort();
    for (const protocol of MAIL_PROTOCOLS) expect(suffixes(protocol)).toEqual(suffixes('imap'));
    for (const store of ['imap', 'imaps', 'pop3', 'pop3s']) {
      expect(findProperty(`mail.${store}.maxConnections`), store).toBeDefined();
      expect(findProperty(`mail.${store}.maxConnections.wait`), store).toBeDefined();
    }
    for (const transport of ['smtp', 'smtps']) {
      for (const suffix of kindSpecific)
        expect(findProperty(`mail.${transport}.${suffix}`), suffix).toBeDefined();
    }
    for (const row of PROPERTY_TABLE) expect(row.description.length, row.name).toBeGreaterThan(10);
    expect(new Set(PROPERTY_TABLE.map((row) => row.name)).size).toBe(PROPERTY_TABLE.length);
  });

  it("resolves the Java guide's example property set pasted as-is", () => {
    const config = resolveConfig(JAVA_GUIDE_EXAMPLE);
    expect(config.oauth.flow).toBe('password');
    expect(config.oauth.user).toBe('scichy@<domain_name>');
    expect(config.oauth.password?.reveal()).toBe('secret');
    expect(config.oauth.clientSecret?.reveal()).toBe('secret');
    expect(config.cacheName).toBe('services/cache/tokenO365');
    expect(config.protocols.imap?.providerClass).toBe('pl.slawas.mail.outlook.store.OutlookStore');
    expect(config.protocols.smtp?.providerClass).toBe('pl.slawas.mail.outlook.smtp.OutlookTransport');
    expect(config.protocols.smtp?.user).toBe('scichy@<domain_name>');
    expect(config.protocols.imap?.properties['mail.imap.mailbox.timeout']).toBe('10000');
    expect(config.warnings).toEqual([]);
  });
});
