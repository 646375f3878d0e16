import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CLIENT_ID, CONFIG_SECRETS, TENANT, TEST_CA_PEM } from '../../test/config-fixtures.js';
import { ConfigError } from '../errors/errors.js';
import { describeConfig, formatConfig } from './describe.js';
import { resolveConfig } from './resolve.js';
import { encodeXor } from './secret-decoders.js';
import type { ResolvedConfig } from './types.js';

const PROXY_PASSWORD = 'proxy-pa55-fixture';

/** Every secret, plain and encoded: none may appear in any output. */
const FORBIDDEN = [
  ...Object.values(CONFIG_SECRETS),
  ...Object.values(CONFIG_SECRETS).map(encodeXor),
  'FIXTUREKEYMATERIAL',
  PROXY_PASSWORD,
];

function expectNoSecret(text: string): void {
  for (const secret of FORBIDDEN) expect(text).not.toContain(secret);
}

function resolveWithSecrets(extra: Record<string, string> = {}): ResolvedConfig {
  return resolveConfig({
    'security.encoder.class': 'com.ibm.ws.security.util.WSEncoderDecoder',
    'o365.oauth.tenant': TENANT,
    'o365.oauth.clientId': CLIENT_ID,
    'o365.user': 'someone@contoso.example',
    'o365.password': encodeXor(CONFIG_SECRETS.password),
    'o365.oauth.clientSecret': CONFIG_SECRETS.clientSecret,
    'o365.oauth.certificate.thumbprint': 'ab'.repeat(20),
    'o365.oauth.certificate.privateKey': CONFIG_SECRETS.privateKey,
    'mail.smtp.proxy.password': PROXY_PASSWORD,
    ...extra,
  });
}

describe('describeConfig and formatConfig', () => {
  it('lists every property, sorted, with its source', () => {
    const config = resolveWithSecrets({ 'mail.imap.host': '127.0.0.1' });
    const rows = describeConfig(config);
    expect(rows.map((r) => r.property)).toEqual(Object.keys(config.properties).sort());
    expect(rows.find((r) => r.property === 'mail.imap.host')).toEqual({
      property: 'mail.imap.host',
      value: '127.0.0.1',
      source: 'input',
    });
    expect(rows.find((r) => r.property === 'mail.imap.port')).toEqual({
      property: 'mail.imap.port',
      value: '993',
      source: 'default',
    });
    expect(rows.find((r) => r.property === 'o365.password')?.value).toBe('***');
    expect(rows.find((r) => r.property === 'mail.smtp.proxy.password')?.value).toBe('***');
  });

  it('prints an aligned table, one line per property, multi-line values escaped', () => {
    const config = resolveWithSecrets({ 'kalisto.tls.ca': TEST_CA_PEM });
    const lines = formatConfig(config).split('\n');
    expect(lines[0]).toMatch(/^PROPERTY\s+VALUE\s+SOURCE$/);
    expect(lines).toHaveLength(describeConfig(config).length + 1);
    const valueColumn = lines[0]!.indexOf('VALUE');
    const sourceColumn = lines[0]!.indexOf('SOURCE');
    for (const line of lines.slice(1)) {
      expect(line[valueColumn - 1]).toBe(' ');
      expect(line.slice(sourceColumn)).toMatch(/^(input|default|environment|cloud)$/);
    }
    expect(lines.find((l) => l.startsWith('kalisto.tls.ca'))).toContain(
      '-----BEGIN CERTIFICATE-----\\nMIIBizCC',
    );
  });
});

describe('secrets never leak', () => {
  it('not from describeConfig or formatConfig', () => {
    const config = resolveWithSecrets();
    expectNoSecret(JSON.stringify(describeConfig(config)));
    expectNoSecret(formatConfig(config));
  });

  it('not from JSON.stringify or util.inspect of the configuration', () => {
    const config = resolveWithSecrets();
    expectNoSecret(JSON.stringify(config));
    expectNoSecret(inspect(config, { depth: Number.POSITIVE_INFINITY }));
    expectNoSecret(JSON.stringify(config.properties));
    expectNoSecret(inspect(config.properties));
    expectNoSecret(`${config.oauth.password}`);
    expectNoSecret(JSON.stringify(config.protocols.smtp));
    // ...while the values stay readable where they are needed.
    expect(config.oauth.password?.reveal()).toBe(CONFIG_SECRETS.password);
    expect(config.properties['o365.oauth.clientSecret']).toBe(CONFIG_SECRETS.clientSecret);
    expect(config.protocols.smtp?.properties['mail.smtp.proxy.password']).toBe(PROXY_PASSWORD);
  });

  it('not from a ConfigError about the secrets themselves', () => {
    let error: unknown;
    try {
      resolveConfig({
        'security.encoder.class': 'com.ibm.ws.security.util.WSEncoderDecoder',
        'o365.oauth.tenant': 'common',
        'o365.oauth.clientId': CLIENT_ID,
        'o365.oauth.flow': 'password',
        'o365.password': `{xor}${CONFIG_SECRETS.password}`,
        'o365.oauth.clientSecret': CONFIG_SECRETS.clientSecret,
        'o365.oauth.certificate.privateKey': CONFIG_SECRETS.privateKey,
        'mail.smtp.proxy.password': PROXY_PASSWORD,
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const configError = error as ConfigError;
    expect(configError.issues.map((i) => i.property)).toEqual(
      expect.arrayContaining(['o365.password', 'o365.oauth.certificate.thumbprint', 'o365.user']),
    );
    expectNoSecret(configError.message);
    expectNoSecret(JSON.stringify(configError.issues));
    expectNoSecret(inspect(configError, { depth: Number.POSITIVE_INFINITY }));
    expect(configError.issues.find((i) => i.property === 'o365.password')?.value).toBe('***');
  });
});
