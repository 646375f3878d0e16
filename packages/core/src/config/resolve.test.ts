import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  APP,
  CLIENT_ID,
  configErrorOf as configError,
  TENANT,
  TEST_CA_PEM,
} from '../../test/config-fixtures.js';
import { CLOUD_PRESETS } from './clouds.js';
import { resolveConfig } from './resolve.js';
import { Secret } from './secret.js';
import type { KalistoConfigOptions } from './typed-options.js';

const USER = {
  'o365.oauth.tenant': TENANT,
  'o365.oauth.clientId': CLIENT_ID,
  'o365.user': 'someone@contoso.example',
  'o365.password': 'user-password',
};

const issuesOf = (input: Record<string, string>) =>
  configError(() => resolveConfig(input)).issues.map((i) => i.property);

describe('resolveConfig: validation', () => {
  it('reports five different mistakes in one ConfigError naming all five properties', () => {
    const error = configError(() =>
      resolveConfig({
        ...APP,
        'mail.imap.port': 'nine-nine-three',
        'mail.smtp.starttls.enable': 'yes',
        'o365.oauth.url': 'https://login.microsoftonline.com/oauth2/v2.0/token',
        'o365.oauth.tenant': 'not a tenant!',
        'o365.cloud': 'mars',
      }),
    );
    expect(error.issues.map((i) => i.property).sort()).toEqual([
      'mail.imap.port',
      'mail.smtp.starttls.enable',
      'o365.cloud',
      'o365.oauth.tenant',
      'o365.oauth.url',
    ]);
    expect(error.code).toBe('CONFIG_INVALID');
    for (const property of error.issues.map((i) => i.property)) expect(error.message).toContain(property);
    expect(error.issues.find((i) => i.property === 'mail.imap.port')).toEqual({
      property: 'mail.imap.port',
      value: 'nine-nine-three',
      expected: 'an integer from 1 to 65535',
    });
  });

  it('requires a tenant and a client id, pointing at a near-miss name', () => {
    const error = configError(() =>
      resolveConfig({ 'o365.oauth.clientID': CLIENT_ID, 'o365.oauth.clientSecret': 's' }),
    );
    expect(error.issues.map((i) => i.property)).toEqual(['o365.oauth.tenant', 'o365.oauth.clientId']);
    expect(error.issues[1]?.expected).toContain(
      'found "o365.oauth.clientID": did you mean o365.oauth.clientId?',
    );
  });

  it('accepts a GUID or a domain as tenant, not common/organizations or junk', () => {
    expect(resolveConfig({ ...APP, 'o365.oauth.tenant': 'contoso.onmicrosoft.com' }).oauth.tenant).toBe(
      'contoso.onmicrosoft.com',
    );
    for (const tenant of ['common', 'organizations', 'contoso', 'a b.com', '161ee23e-798c-481d-975a']) {
      expect(issuesOf({ ...APP, 'o365.oauth.tenant': tenant }), tenant).toEqual(['o365.oauth.tenant']);
    }
  });

  it('requires https for the authority and the token URL, and %s in the URL', () => {
    expect(issuesOf({ ...APP, 'o365.oauth.authority': 'http://127.0.0.1:8443' })).toEqual([
      'o365.oauth.authority',
    ]);
    expect(issuesOf({ ...APP, 'o365.oauth.url': 'http://127.0.0.1/%s/token' })).toEqual(['o365.oauth.url']);
    expect(issuesOf({ ...APP, 'o365.oauth.url': 'https://127.0.0.1/token' })).toEqual(['o365.oauth.url']);
  });

  it('takes a token URL without %s as a fixed endpoint for the oauth2 provider (any RFC 6749 server)', () => {
    const fixed = 'https://oauth2.googleapis.com/token';
    const config = resolveConfig({ ...APP, 'o365.oauth.provider': 'oauth2', 'o365.oauth.url': fixed });
    expect(config.oauth.tokenUrl).toBe(fixed);
  });

  it('checks what each flow needs', () => {
    expect(issuesOf({ ...USER, 'o365.user': '' })).toEqual(['o365.user']);
    expect(issuesOf({ ...APP, 'o365.oauth.clientSecret': '' })).toEqual(['o365.oauth.clientSecret']);
    expect(issuesOf({ ...APP, 'o365.oauth.flow': 'password' })).toEqual(['o365.user', 'o365.password']);
    expect(issuesOf({ ...APP, 'o365.oauth.flow': 'implicit' })).toEqual(['o365.oauth.flow']);
  });

  it('accepts a certificate instead of a client secret, and needs both of its halves', () => {
    const { 'o365.oauth.clientSecret': _, ...noSecret } = APP;
    const thumbprint = 'AB:CD'.repeat(10).replaceAll(':', '');
    const config = resolveConfig({
      ...noSecret,
      'o365.oauth.certificate.thumbprint': thumbprint,
      'o365.oauth.certificate.privateKey': '-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----',
    });
    expect(config.oauth.flow).toBe('client_credentials');
    expect(config.oauth.certificate?.thumbprint).toBe(thumbprint);
    expect(config.oauth.certificate?.privateKey.reveal()).toContain('BEGIN PRIVATE KEY');
    expect(issuesOf({ ...noSecret, 'o365.oauth.certificate.thumbprint': thumbprint })).toEqual([
      'o365.oauth.certificate.privateKey',
      'o365.oauth.clientSecret',
    ]);
    expect(
      issuesOf({
        ...APP,
        'o365.oauth.certificate.thumbprint': 'xyz',
        'o365.oauth.certificate.privateKey': 'k',
      }),
    ).toEqual(['o365.oauth.certificate.thumbprint']);
  });

  it('checks store and transport protocols; a custom protocol needs mail.<name>.* properties', () => {
    expect(issuesOf({ ...APP, 'mail.store.protocol': 'smtp' })).toEqual(['mail.store.protocol']);
    expect(issuesOf({ ...APP, 'mail.transport.protocol': 'imaps' })).toEqual(['mail.transport.protocol']);
    expect(issuesOf({ ...APP, 'mail.store.protocol': 'exchange' })).toEqual(['mail.store.protocol']);
    const config = resolveConfig({
      ...APP,
      'mail.store.protocol': 'outlook',
      'mail.outlook.class': 'pl.slawas.mail.outlook.store.OutlookSSLStore',
      'mail.outlook.host': 'imap.contoso.example',
      'mail.outlook.port': '1993',
    });
    expect(config.storeProtocol).toBe('outlook');
    expect(config.protocols.outlook).toMatchObject({
      host: 'imap.contoso.example',
      port: 1993,
      ssl: true,
      providerClass: 'pl.slawas.mail.outlook.store.OutlookSSLStore',
    });
    expect(issuesOf({ ...APP, 'mail.outlook.class': 'x' })).toEqual([
      'mail.outlook.host',
      'mail.outlook.port',
    ]);
  });

  it('refuses to send tokens unencrypted unless kalisto.auth.allowInsecure is true', () => {
    const plainSmtp = { ...APP, 'mail.smtp.starttls.enable': 'false' };
    expect(issuesOf(plainSmtp)).toEqual(['mail.smtp.ssl.enable']);
    expect(issuesOf({ ...APP, 'mail.smtp.starttls.required': 'false' })).toEqual([
      'mail.smtp.starttls.required',
    ]);
    const insecure = resolveConfig({ ...plainSmtp, 'kalisto.auth.allowInsecure': 'true' });
    expect(insecure.allowInsecureAuth).toBe(true);
    expect(insecure.protocols.smtp).toMatchObject({ ssl: false, starttls: false, starttlsRequired: false });
    expect(insecure.properties['mail.smtp.starttls.required']).toBe('false');
  });

  it('checks TLS versions, SASL mechanisms, timeouts and proxies', () => {
    expect(
      issuesOf({
        ...APP,
        'mail.imap.ssl.protocols': 'SSLv3',
        'mail.imap.sasl.mechanisms': 'PLAIN LOGIN',
        'mail.imap.timeout': '-1',
        'mail.imap.connectiontimeout': '1.5',
        'mail.smtp.proxy.url': 'ftp://proxy',
        'kalisto.oauth.proxy': 'not a url',
      }).sort(),
    ).toEqual([
      'kalisto.oauth.proxy',
      'mail.imap.connectiontimeout',
      'mail.imap.sasl.mechanisms',
      'mail.imap.ssl.protocols',
      'mail.imap.timeout',
      'mail.smtp.proxy.url',
    ]);
  });

  it('reports websphere.cache and kalisto.cache that disagree', () => {
    expect(issuesOf({ ...APP, 'websphere.cache': 'a', 'kalisto.cache': 'b' })).toEqual(['kalisto.cache']);
    expect(resolveConfig({ ...APP, 'kalisto.cache': 'redis' }).cacheName).toBe('redis');
    expect(resolveConfig({ ...APP, 'websphere.cache': 'services/cache/tokenO365' }).cacheName).toBe(
      'services/cache/tokenO365',
    );
  });
});

describe('resolveConfig: flows, scopes and endpoints', () => {
  it('picks password when o365.password is set, else client_credentials; o365.oauth.flow overrides', () => {
    expect(resolveConfig(USER).oauth.flow).toBe('password');
    expect(resolveConfig(APP).oauth.flow).toBe('client_credentials');
    expect(resolveConfig({ ...USER, 'o365.oauth.flow': 'device_code' }).oauth.flow).toBe('device_code');
  });

  it('defaults the scope by flow and cloud, and splits a given scope on spaces and commas', () => {
    expect(resolveConfig(USER).oauth.scopes).toEqual(['https://outlook.office.com/.default']);
    expect(resolveConfig(APP).oauth.scopes).toEqual(['https://outlook.office365.com/.default']);
    expect(resolveConfig({ ...APP, 'o365.oauth.flow': 'managed_identity' }).oauth.scopes).toEqual([
      'https://outlook.office365.com/.default',
    ]);
    expect(resolveConfig({ ...APP, 'o365.cloud': 'china' }).oauth.scopes).toEqual([
      'https://partner.outlook.cn/.default',
    ]);
    expect(resolveConfig({ ...USER, 'o365.cloud': 'usgov' }).oauth.scopes).toEqual([
      'https://outlook.office365.us/.default',
    ]);
    const scope =
      'https://outlook.office.com/IMAP.AccessAsUser.All, https://outlook.office.com/SMTP.Send offline_access';
    expect(resolveConfig({ ...USER, 'o365.oauth.scope': scope }).oauth.scopes).toEqual([
      'https://outlook.office.com/IMAP.AccessAsUser.All',
      'https://outlook.office.com/SMTP.Send',
      'offline_access',
    ]);
  });

  it('fills %s with the tenant and derives the authority from a given token URL', () => {
    const config = resolveConfig({ ...APP, 'o365.oauth.url': 'https://127.0.0.1:8443/%s/oauth2/v2.0/token' });
    expect(config.oauth.tokenUrl).toBe(`https://127.0.0.1:8443/${TENANT}/oauth2/v2.0/token`);
    expect(config.oauth.authorityHost).toBe('https://127.0.0.1:8443');
    expect(config.oauth.authority).toBe(`https://127.0.0.1:8443/${TENANT}`);
  });

  it('derives the token URL from a given authority', () => {
    const config = resolveConfig({ ...APP, 'o365.oauth.authority': 'https://127.0.0.1:8443/' });
    expect(config.oauth.authorityHost).toBe('https://127.0.0.1:8443');
    expect(config.oauth.tokenUrl).toBe(`https://127.0.0.1:8443/${TENANT}/oauth2/v2.0/token`);
    expect(config.sources['o365.oauth.url']).toBe('default');
  });

  it('keeps both when authority and token URL are given', () => {
    const config = resolveConfig({
      ...APP,
      'o365.oauth.authority': 'https://login.example',
      'o365.oauth.url': 'https://token.example/%s/token',
    });
    expect(config.oauth.authorityHost).toBe('https://login.example');
    expect(config.oauth.tokenUrl).toBe(`https://token.example/${TENANT}/token`);
  });
});

describe('resolveConfig: cloud presets', () => {
  const hosts = (cloud: string, extra: Record<string, string> = {}) => {
    const config = resolveConfig({ ...APP, 'o365.cloud': cloud, ...extra });
    return {
      authority: config.oauth.authorityHost,
      tokenUrl: config.oauth.tokenUrl,
      imap: config.protocols.imap?.host,
      imaps: config.protocols.imaps?.host,
      pop3: config.protocols.pop3?.host,
      pop3s: config.protocols.pop3s?.host,
      smtp: config.protocols.smtp?.host,
      smtps: config.protocols.smtps?.host,
      source: config.sources['mail.imap.host'],
    };
  };

  it.each([
    ['global', 'login.microsoftonline.com', 'outlook.office365.com', 'smtp.office365.com'],
    ['usgov', 'login.microsoftonline.us', 'outlook.office365.us', 'smtp.office365.us'],
    ['usgovdod', 'login.microsoftonline.us', 'outlook-dod.office365.us', 'outlook-dod.office365.us'],
    ['china', 'login.partner.microsoftonline.cn', 'partner.outlook.cn', 'smtp.partner.outlook.cn'],
  ])('%s switches the authority and every host together', (cloud, authority, mailHost, smtpHost) => {
    expect(hosts(cloud)).toEqual({
      authority: `https://${authority}`,
      tokenUrl: `https://${authority}/${TENANT}/oauth2/v2.0/token`,
      imap: mailHost,
      imaps: mailHost,
      pop3: mailHost,
      pop3s: mailHost,
      smtp: smtpHost,
      smtps: smtpHost,
      source: 'cloud',
    });
  });

  it('lets the input override a preset (china SMTP host)', () => {
    const config = resolveConfig({
      ...APP,
      'o365.cloud': 'china',
      'mail.smtp.host': 'smtp.partner.outlook.cn.example',
    });
    expect(config.protocols.smtp?.host).toBe('smtp.partner.outlook.cn.example');
    expect(config.sources['mail.smtp.host']).toBe('input');
    expect(config.protocols.imap?.host).toBe(CLOUD_PRESETS.china.mailHost);
    expect(config.oauth.cloud).toBe('china');
  });

  it('lets a given authority win over the preset, and the token URL follow it', () => {
    const config = resolveConfig({
      ...APP,
      'o365.cloud': 'usgov',
      'o365.oauth.authority': 'https://127.0.0.1:9443',
    });
    expect(config.oauth.tokenUrl).toBe(`https://127.0.0.1:9443/${TENANT}/oauth2/v2.0/token`);
    expect(config.protocols.imap?.host).toBe('outlook.office365.us');
  });
});

describe('resolveConfig: environment', () => {
  it('reads nothing from the environment unless env is given', () => {
    process.env.MAIL_IMAP_HOST = 'from-process-env.example';
    try {
      expect(resolveConfig(APP).protocols.imap?.host).toBe('outlook.office365.com');
    } finally {
      delete process.env.MAIL_IMAP_HOST;
    }
  });

  it('maps variables to known properties case-insensitively', () => {
    const config = resolveConfig(
      {},
      {
        env: {
          O365_OAUTH_TENANT: TENANT,
          O365_OAUTH_CLIENTID: CLIENT_ID,
          o365_oauth_clientsecret: 'from-env',
          MAIL_IMAP_HOST: 'imap.env.example',
          Mail_Smtp_Port: '2525',
          UNRELATED: 'x',
          EMPTY_IS_ABSENT: '',
          MAIL_POP3_HOST: '',
        },
      },
    );
    expect(config.oauth.clientId).toBe(CLIENT_ID);
    expect(config.oauth.clientSecret?.reveal()).toBe('from-env');
    expect(config.protocols.imap?.host).toBe('imap.env.example');
    expect(config.protocols.smtp?.port).toBe(2525);
    expect(config.protocols.pop3?.host).toBe('outlook.office365.com');
    expect(config.sources['mail.imap.host']).toBe('environment');
    expect(config.properties.UNRELATED).toBeUndefined();
  });

  it('ranks input over environment over cloud preset over default', () => {
    const config = resolveConfig(
      { ...APP, 'mail.imap.host': 'input.example' },
      { env: { MAIL_IMAP_HOST: 'env.example', MAIL_POP3_HOST: 'env-pop.example', O365_CLOUD: 'usgov' } },
    );
    expect(config.protocols.imap?.host).toBe('input.example');
    expect(config.protocols.pop3?.host).toBe('env-pop.example');
    expect(config.protocols.imaps?.host).toBe('outlook.office365.us');
    expect(config.protocols.imap?.port).toBe(993);
    expect([
      config.sources['mail.imap.host'],
      config.sources['mail.pop3.host'],
      config.sources['mail.imaps.host'],
      config.sources['mail.imap.port'],
    ]).toEqual(['input', 'environment', 'cloud', 'default']);
  });

  it('takes HTTPS_PROXY for the identity platform when KALISTO_OAUTH_PROXY is absent', () => {
    expect(resolveConfig(APP, { env: { https_proxy: 'http://proxy:3128' } }).oauth.proxy).toBe(
      'http://proxy:3128',
    );
    expect(
      resolveConfig(APP, { env: { HTTPS_PROXY: 'http://a:1', KALISTO_OAUTH_PROXY: 'http://b:2' } }).oauth
        .proxy,
    ).toBe('http://b:2');
  });
});

describe('resolveConfig: input forms', () => {
  const properties = {
    'o365.oauth.tenant': TENANT,
    'o365.oauth.clientId': CLIENT_ID,
    'o365.user': 'someone@contoso.example',
    'o365.password': 'user-password',
    'o365.oauth.clientSecret': 'app-secret',
    'o365.cloud': 'usgov',
    'o365.oauth.flow': 'password',
    'o365.oauth.scope': 'https://outlook.office365.us/IMAP.AccessAsUser.All offline_access',
    'kalisto.cache': 'redis',
    'kalisto.token.refreshSkew': '60000',
    'kalisto.auth.allowInsecure': 'false',
    'mail.debug': 'true',
    'mail.store.protocol': 'imaps',
    'mail.imap.host': '127.0.0.1',
    'mail.imap.port': '1993',
    'mail.imap.sasl.mechanisms': 'OAUTHBEARER XOAUTH2',
    'mail.smtp.from': 'robot@contoso.example',
    'mail.smtp.connectiontimeout': '5000',
    'mail.smtps.class': 'pl.slawas.mail.outlook.smtp.OutlookSSLTransport',
    'mail.custom.host': 'custom.example',
    'mail.custom.port': '4000',
    'o365.oauth.certificate.thumbprint': 'ab'.repeat(20),
    'o365.oauth.certificate.privateKey': 'pem',
    'mail.imap.partialfetch': 'false',
  };
  const typed: KalistoConfigOptions = {
    tenant: TENANT,
    clientId: CLIENT_ID,
    user: 'someone@contoso.example',
    password: new Secret('user-password'),
    clientSecret: 'app-secret',
    cloud: 'usgov',
    flow: 'password',
    scopes: ['https://outlook.office365.us/IMAP.AccessAsUser.All', 'offline_access'],
    cache: 'redis',
    refreshSkewMs: 60_000,
    allowInsecureAuth: false,
    debug: true,
    storeProtocol: 'imaps',
    imap: { host: '127.0.0.1', port: 1993, saslMechanisms: ['OAUTHBEARER', 'XOAUTH2'] },
    smtp: { from: 'robot@contoso.example', connectionTimeoutMs: 5000 },
    smtps: { providerClass: 'pl.slawas.mail.outlook.smtp.OutlookSSLTransport' },
    protocols: { custom: { host: 'custom.example', port: 4000 } },
    certificate: { thumbprint: 'ab'.repeat(20), privateKey: 'pem' },
    properties: { 'mail.imap.partialfetch': false },
  };

  it('resolves typed options exactly like the equivalent property map', () => {
    const fromMap = resolveConfig(properties);
    const fromTyped = resolveConfig(typed);
    expect({ ...fromTyped.properties }).toEqual({ ...fromMap.properties });
    expect(fromTyped.sources).toEqual(fromMap.sources);
    expect(JSON.stringify(fromTyped)).toBe(JSON.stringify(fromMap));
    expect(fromTyped.oauth.password?.reveal()).toBe(fromMap.oauth.password?.reveal());
    expect(fromTyped.protocols.imap?.saslMechanisms).toEqual(['OAUTHBEARER', 'XOAUTH2']);
  });

  it('accepts a Map, .properties text and numbers/booleans as values', () => {
    const fromMap = resolveConfig(
      new Map<string, string | number | boolean>([...Object.entries(APP), ['mail.imap.port', 1993]]),
    );
    const fromText = resolveConfig(
      Object.entries({ ...APP, 'mail.imap.port': '1993' })
        .map(([k, v]) => `${k} = ${v}`)
        .join('\n'),
    );
    const fromObject = resolveConfig({
      ...APP,
      'mail.imap.port': 1993,
      'mail.debug': false,
      'mail.smtp.user': null,
    });
    for (const config of [fromMap, fromText, fromObject]) {
      expect(config.protocols.imap?.port).toBe(1993);
      expect(config.oauth.clientSecret?.reveal()).toBe('app-secret');
    }
  });

  it('reports unknown typed options and typed names mixed into a property map', () => {
    const typo = configError(() =>
      resolveConfig({ tenant: TENANT, clientID: CLIENT_ID } as KalistoConfigOptions),
    );
    expect(typo.issues[0]).toEqual({
      property: 'clientID',
      expected: 'a KalistoConfigOptions field (did you mean clientId?)',
    });
    expect(typo.issues.map((i) => i.property)).toContain('o365.oauth.clientId');
    const mixed = configError(() => resolveConfig({ ...APP, tenant: TENANT } as Record<string, string>));
    expect(mixed.issues.map((i) => i.property)).toEqual(['tenant']);
  });

  it('reports input that is none of the accepted forms', () => {
    const error = configError(() => resolveConfig(42 as unknown as string));
    expect(error.issues.map((i) => i.property)).toEqual(['(input)']);
  });

  it('trims non-secret values, never secrets', () => {
    const config = resolveConfig({
      ...APP,
      'mail.imap.port': ' 993 ',
      'o365.oauth.clientSecret': ' spaced ',
    });
    expect(config.protocols.imap?.port).toBe(993);
    expect(config.oauth.clientSecret?.reveal()).toBe(' spaced ');
  });
});

describe('resolveConfig: result', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kalisto-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is deeply frozen', () => {
    const config = resolveConfig(APP);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.oauth)).toBe(true);
    expect(Object.isFrozen(config.oauth.scopes)).toBe(true);
    expect(Object.isFrozen(config.protocols.imap)).toBe(true);
    expect(Object.isFrozen(config.protocols.imap?.properties)).toBe(true);
    expect(Object.isFrozen(config.properties)).toBe(true);
    expect(Object.isFrozen(config.sources)).toBe(true);
  });

  it('warns about unknown names in its own namespaces and near misses, without failing', () => {
    const config = resolveConfig({
      ...APP,
      'kalisto.token.refreshSkw': '1',
      'o365.something': 'x',
      'mail.smtp.starttls.enabled': 'true',
      'mail.imap.partialfetch': 'false',
      'mail.imapp.host': 'h',
      'mail.imapp.port': '1',
    });
    expect(config.warnings).toEqual([
      {
        property: 'kalisto.token.refreshSkw',
        message: 'Unknown property, ignored; did you mean kalisto.token.refreshSkew?',
        suggestion: 'kalisto.token.refreshSkew',
      },
      { property: 'o365.something', message: 'Unknown property, ignored.' },
      {
        property: 'mail.smtp.starttls.enabled',
        message: 'Unknown property, ignored; did you mean mail.smtp.starttls.enable?',
        suggestion: 'mail.smtp.starttls.enable',
      },
      {
        property: 'mail.imapp.*',
        message: '"imapp" is taken as a custom protocol; did you mean imap?',
        suggestion: 'mail.imap.*',
      },
    ]);
  });

  it('reads kalisto.tls.ca as PEM text or file:PATH', () => {
    const pem = `${TEST_CA_PEM}\n`;
    const path = join(dir, 'ca.pem');
    writeFileSync(path, pem);
    expect(resolveConfig({ ...APP, 'kalisto.tls.ca': pem }).tlsCa).toBe(pem.trim());
    expect(resolveConfig({ ...APP, 'kalisto.tls.ca': `file:${path}` }).tlsCa).toBe(pem.slice(0, -1));
    expect(issuesOf({ ...APP, 'kalisto.tls.ca': 'not a certificate' })).toEqual(['kalisto.tls.ca']);
    expect(issuesOf({ ...APP, 'kalisto.tls.ca': `file:${join(dir, 'none.pem')}` })).toEqual([
      'kalisto.tls.ca',
    ]);
  });

  it('resolves protocol user, from and proxy fallbacks', () => {
    const config = resolveConfig({
      ...USER,
      'mail.from': 'noreply@contoso.example',
      'mail.imap.user': 'shared@contoso.example',
      'mail.smtp.proxy.host': 'proxy.example',
      'mail.smtps.proxy.host': 'proxy.example',
      'mail.smtps.proxy.port': '3128',
    });
    expect(config.protocols.imap?.user).toBe('shared@contoso.example');
    expect(config.protocols.pop3?.user).toBe('someone@contoso.example');
    expect(config.protocols.smtp?.from).toBe('noreply@contoso.example');
    expect(config.protocols.imap?.from).toBeUndefined();
    expect(config.protocols.smtp?.proxy).toBe('http://proxy.example:80');
    expect(config.protocols.smtps?.proxy).toBe('http://proxy.example:3128');
    expect(config.protocols.imap?.proxy).toBeUndefined();
  });
});
