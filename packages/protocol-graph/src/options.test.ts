import { type ProtocolSettings, type ResolvedConfig, resolveConfig } from '@kalisto/core';
import { describe, expect, it } from 'vitest';
import { graphOptions } from './options.js';

const BASE = {
  'o365.oauth.tenant': 'contoso.onmicrosoft.com',
  'o365.oauth.clientId': '782d2e03-9066-4d59-ab6a-a2cfbc0212a1',
  'o365.oauth.clientSecret': 'unused',
  'o365.user': 'adele@contoso.example',
};

function resolved(properties: Record<string, string>): [ProtocolSettings, ResolvedConfig] {
  const config = resolveConfig({ ...BASE, ...properties });
  return [config.protocols.graph as ProtocolSettings, config];
}

describe('graphOptions', () => {
  it("reads core's Graph defaults: global Graph, 443, app-only scope, Sent Items kept, bounded retries", () => {
    expect(graphOptions(...resolved({}))).toMatchObject({
      baseUrl: 'https://graph.microsoft.com/v1.0',
      mailbox: 'adele@contoso.example',
      scopes: ['https://graph.microsoft.com/.default'],
      saveToSentItems: true,
      timeoutMs: 60_000,
      maxConcurrency: 4,
      maxRetries: 3,
      retryBudgetMs: 60_000,
      maxMessageBytes: 150 * 1024 * 1024,
      appOnly: true,
      proxy: undefined,
    });
  });

  it('takes a port, a shared mailbox, the national cloud and the proxy of the token providers', () => {
    const options = graphOptions(
      ...resolved({
        'o365.cloud': 'usgov',
        'mail.graph.port': '8443',
        'mail.graph.user': 'shared@contoso.example',
        'kalisto.oauth.proxy': 'http://proxy.internal:3128',
        'mail.graph.maxRetries': '0',
        'mail.graph.maxConcurrency': '2',
      }),
    );
    expect(options).toMatchObject({
      baseUrl: 'https://graph.microsoft.us:8443/v1.0',
      mailbox: 'shared@contoso.example',
      scopes: ['https://graph.microsoft.us/.default'],
      proxy: 'http://proxy.internal:3128',
      maxRetries: 0,
      maxConcurrency: 2,
      cloud: 'usgov',
    });
    expect(graphOptions(...resolved({ 'mail.graph.proxy.url': 'http://graph-proxy:8080' })).proxy).toBe(
      'http://graph-proxy:8080',
    );
  });

  it('refuses a maxConcurrency below 1, naming the property', () => {
    expect(() => resolveConfig({ ...BASE, 'mail.graph.maxConcurrency': '0' })).toThrow(
      expect.objectContaining({
        issues: [expect.objectContaining({ property: 'mail.graph.maxConcurrency' })],
      }),
    );
  });

  it('needs a mailbox: a ConfigError naming mail.graph.user', () => {
    const config = resolveConfig({ ...BASE, 'o365.user': '' });
    expect(() => graphOptions(config.protocols.graph as ProtocolSettings, config)).toThrow(
      expect.objectContaining({
        name: 'ConfigError',
        issues: [expect.objectContaining({ property: 'mail.graph.user' })],
      }),
    );
  });
});
