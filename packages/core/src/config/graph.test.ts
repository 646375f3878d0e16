import { describe, expect, it } from 'vitest';
import { APP, CLIENT_ID, resolveError, TENANT } from '../../test/config-fixtures.js';
import { CLOUD_PRESETS } from './clouds.js';
import { findProperty } from './property-table.js';
import { resolveConfig } from './resolve.js';

const DELEGATED = {
  'o365.oauth.tenant': TENANT,
  'o365.oauth.clientId': CLIENT_ID,
  'o365.user': 'adele@contoso.example',
  'o365.password': 'user-password',
};

describe('mail.graph.*: Microsoft Graph as a known protocol', () => {
  it('has settings without any mail.graph.* given: the global Graph host, 443, always TLS, o365.user as mailbox', () => {
    const graph = resolveConfig(DELEGATED).protocols.graph;
    expect(graph).toMatchObject({
      protocol: 'graph',
      host: 'graph.microsoft.com',
      port: 443,
      ssl: true,
      starttls: false,
      minTlsVersion: 'TLSv1.2',
      checkServerIdentity: true,
      user: 'adele@contoso.example',
      timeoutMs: 60_000,
      maxResponseBytes: 16 * 1024 * 1024,
      proxy: undefined,
    });
    expect(graph?.properties).toMatchObject({
      'mail.graph.saveToSentItems': 'true',
      'mail.graph.maxRetries': '3',
      'mail.graph.retryBudget': '60000',
      'mail.graph.maxMessageBytes': String(150 * 1024 * 1024),
    });
  });

  it('is accepted as the store and the transport protocol, and is no custom protocol (no host/port required)', () => {
    const config = resolveConfig({
      ...APP,
      'mail.store.protocol': 'graph',
      'mail.transport.protocol': 'graph',
      'mail.graph.user': 'shared@contoso.example',
      'mail.from': 'shared@contoso.example',
    });
    expect(config.storeProtocol).toBe('graph');
    expect(config.transportProtocol).toBe('graph');
    expect(config.protocols.graph?.user).toBe('shared@contoso.example');
    expect(config.protocols.graph?.from).toBe('shared@contoso.example');
    expect(config.warnings).toEqual([]);
    expect(findProperty('mail.graph.host')?.protocol).toBe('graph');
  });

  it.each([
    ['global', 'graph.microsoft.com'],
    ['usgov', 'graph.microsoft.us'],
    ['usgovdod', 'dod-graph.microsoft.us'],
    ['china', 'microsoftgraph.chinacloudapi.cn'],
  ] as const)('o365.cloud=%s: Graph host %s, and the scope of that resource', (cloud, host) => {
    expect(CLOUD_PRESETS[cloud].graphHost).toBe(host);
    const app = resolveConfig({ ...APP, 'o365.cloud': cloud });
    expect(app.protocols.graph?.host).toBe(host);
    expect(app.properties['mail.graph.scope']).toBe(`https://${host}/.default`);
    expect(app.sources['mail.graph.scope']).toBe('cloud');
    const user = resolveConfig({ ...DELEGATED, 'o365.cloud': cloud });
    expect(user.properties['mail.graph.scope']).toBe(
      `https://${host}/Mail.ReadWrite https://${host}/Mail.Send offline_access`,
    );
  });

  it('derives the scope from the flow, keeps Outlook scope apart, and never from mail.graph.host', () => {
    const app = resolveConfig({ ...APP, 'mail.graph.host': '127.0.0.1', 'mail.graph.port': '8443' });
    expect(app.properties['mail.graph.scope']).toBe('https://graph.microsoft.com/.default');
    expect(app.sources['mail.graph.scope']).toBe('default');
    expect(app.oauth.scopes).toEqual(['https://outlook.office365.com/.default']);
    expect(app.protocols.graph).toMatchObject({ host: '127.0.0.1', port: 8443 });
    const given = resolveConfig({ ...APP, 'mail.graph.scope': 'https://graph.microsoft.com/Mail.Send' });
    expect(given.properties['mail.graph.scope']).toBe('https://graph.microsoft.com/Mail.Send');
  });

  it('validates the Graph rows, naming each bad one', () => {
    const error = resolveError({
      ...APP,
      'mail.graph.maxRetries': '11',
      'mail.graph.saveToSentItems': 'no',
      'mail.graph.port': '0',
      'mail.graph.host': 'graph microsoft com',
      'mail.graph.scope': ' ',
    });
    expect(error.issues.map((i) => i.property).sort()).toEqual([
      'mail.graph.host',
      'mail.graph.maxRetries',
      'mail.graph.port',
      'mail.graph.saveToSentItems',
      'mail.graph.scope',
    ]);
  });

  it('takes the Graph proxy from mail.graph.proxy.*', () => {
    const config = resolveConfig({
      ...APP,
      'mail.graph.proxy.host': 'proxy.internal',
      'mail.graph.proxy.port': '3128',
    });
    expect(config.protocols.graph?.proxy).toBe('http://proxy.internal:3128');
  });
});
