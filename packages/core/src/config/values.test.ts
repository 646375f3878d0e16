import { describe, expect, it } from 'vitest';
import { APP, CLIENT_ID, resolveError, TEST_CA_PEM } from '../../test/config-fixtures.js';
import { resolveConfig } from './resolve.js';
import { encodeXor } from './secret-decoders.js';

const issueOf = (properties: Record<string, string>, property: string) =>
  resolveError(properties).issues.find((i) => i.property === property);

describe('host names', () => {
  it('refuses a host with a space, CR, LF or other characters no host name has', () => {
    for (const host of [
      'outlook office365.com',
      'outlook.office365.com\r\nX-Injected: 1',
      'a\tb',
      'h/st',
      'a..b',
      '-a.b',
    ]) {
      const issue = issueOf({ ...APP, 'mail.imaps.host': host }, 'mail.imaps.host');
      expect(issue?.expected, JSON.stringify(host)).toContain('a host name or IP address');
    }
    expect(
      issueOf({ ...APP, 'mail.smtp.proxy.host': 'proxy example' }, 'mail.smtp.proxy.host'),
    ).toBeDefined();
  });

  it('accepts names, IPv4 and IPv6 addresses, and trims what a console pasted around them', () => {
    const hosts = [
      'outlook.office365.com',
      'mail_1.internal.',
      '127.0.0.1',
      '::1',
      'localhost',
      ' smtp.example \r\n',
    ];
    for (const host of hosts) {
      expect(resolveConfig({ ...APP, 'mail.smtp.host': host }).protocols.smtp?.host).toBe(host.trim());
    }
  });

  it('refuses a host given empty instead of silently connecting to localhost', () => {
    const issue = issueOf({ ...APP, 'mail.imaps.host': '' }, 'mail.imaps.host');
    expect(issue?.expected).toContain('remove the property to use the default (outlook.office365.com)');
    expect(issueOf({ ...APP, 'mail.imaps.port': ' ' }, 'mail.imaps.port')?.expected).toContain('993');
  });

  it('refuses an empty value of any property that has a default, a flow included', () => {
    for (const property of [
      'mail.smtp.starttls.enable',
      'o365.oauth.url',
      'o365.oauth.flow',
      'kalisto.oauth.timeout',
    ]) {
      expect(issueOf({ ...APP, [property]: '' }, property), property).toBeDefined();
    }
  });

  it('still lets an empty secret or user mean "not set", as WebSphere configurations have them', () => {
    const config = resolveConfig({ ...APP, 'o365.password': '', 'o365.user': '', 'mail.smtp.user': '' });
    expect(config.oauth.password).toBeUndefined();
    expect(config.oauth.flow).toBe('client_credentials');
  });
});

describe('control characters', () => {
  it('refuses o365.user and other text properties with control characters', () => {
    for (const [property, value] of [
      ['o365.user', 'someone\u0000@contoso.example'],
      ['o365.user', 'some\u001b[2Jone@contoso.example'],
      ['mail.smtp.user', 'a\nb@contoso.example'],
      ['mail.from', 'a@contoso.example\r\nBcc: x@evil.example'],
      ['o365.oauth.clientId', `${CLIENT_ID}\u0007`],
      ['o365.oauth.scope', 'https://outlook.office.com/.default\u0000'],
      ['o365.oauth.url', 'https://login.microsoftonline.com/%s/oauth2/v2.0/to\nken'],
    ] as const) {
      const issue = issueOf({ ...APP, [property]: value }, property);
      expect(issue?.expected, `${property}=${JSON.stringify(value)}`).toContain('no control characters');
    }
  });

  it('shows the control characters escaped in the message, never raw', () => {
    const error = resolveError({ ...APP, 'o365.user': 'a\u001b]0;title\u0007@contoso.example' });
    expect(error.message).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
  });
});

describe('kalisto.tls.ca', () => {
  it('accepts PEM text or a file holding at least one X.509 certificate', () => {
    expect(resolveConfig({ ...APP, 'kalisto.tls.ca': TEST_CA_PEM }).tlsCa).toBe(TEST_CA_PEM);
    const bundle = `# company roots\n${TEST_CA_PEM}\n${TEST_CA_PEM}\n`;
    expect(resolveConfig({ ...APP, 'kalisto.tls.ca': bundle }).tlsCa).toBe(bundle.trim());
  });

  it('refuses garbage between the PEM markers at resolve time, naming the property', () => {
    const garbage = '-----BEGIN CERTIFICATE-----\nMIIBgarbage\n-----END CERTIFICATE-----';
    const issue = issueOf({ ...APP, 'kalisto.tls.ca': garbage }, 'kalisto.tls.ca');
    expect(issue?.expected).toContain('certificate 1 of 1 is not a valid X.509 certificate');
    const mixed = `${TEST_CA_PEM}\n${garbage}`;
    expect(issueOf({ ...APP, 'kalisto.tls.ca': mixed }, 'kalisto.tls.ca')?.expected).toContain(
      'certificate 2 of 2',
    );
    const unterminated = `${TEST_CA_PEM}\n-----BEGIN CERTIFICATE-----\nMIIB`;
    expect(issueOf({ ...APP, 'kalisto.tls.ca': unterminated }, 'kalisto.tls.ca')?.expected).toContain(
      'certificate 2 of 2',
    );
  });
});

describe('empty secrets', () => {
  it('refuses {xor} with nothing after it instead of handing MSAL an empty secret', () => {
    const issue = issueOf(
      { ...APP, 'security.encoder.class': 'websphere', 'o365.oauth.clientSecret': '{xor}' },
      'o365.oauth.clientSecret',
    );
    expect(issue?.expected).toMatch(/nothing follows \{xor\}|empty/);
    expect(issue?.value).toBe('***');
  });

  it('refuses a secret that decodes or resolves to nothing or to blanks', () => {
    const cases: Record<string, string>[] = [
      { 'security.encoder.class': 'websphere', 'o365.oauth.clientSecret': encodeXor('   ') },
      { 'o365.oauth.clientSecret': '   ' },
      { 'o365.oauth.clientSecret': 'env:BLANK_SECRET' },
    ];
    for (const properties of cases) {
      const error = resolveError({ ...APP, ...properties }, { env: { BLANK_SECRET: ' \t' } });
      expect(
        error.issues.map((i) => i.property),
        JSON.stringify(properties),
      ).toContain('o365.oauth.clientSecret');
    }
  });
});
