import { ConfigError } from '@kalisto/core';
import { describe, expect, it } from 'vitest';
import { isLoopbackHost, type MailProxyOptions, PROXY_DEFAULTS, resolveProxyOptions } from './options.js';

const base: MailProxyOptions = {
  port: 0,
  tls: { mode: 'none' },
  authenticate: async () => undefined,
  sessionFor: () => {
    throw new Error('not used');
  },
};

function issues(options: Partial<MailProxyOptions>, kind: 'imap' | 'pop3' = 'imap'): string[] {
  try {
    resolveProxyOptions(kind, { ...base, ...options } as MailProxyOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues.map((i) => i.property);
  }
  return [];
}

describe('resolveProxyOptions', () => {
  it('applies the defaults: loopback, TLS 1.2 floor, plain login only on loopback', () => {
    const resolved = resolveProxyOptions('imap', base);
    expect(resolved).toMatchObject({
      host: '127.0.0.1',
      tls: { mode: 'none', minVersion: 'TLSv1.2' },
      allowPlainLogin: true,
      maxConnections: PROXY_DEFAULTS.maxConnections,
      idleTimeoutMs: PROXY_DEFAULTS.idleTimeoutMs,
    });
    expect(
      resolveProxyOptions('imap', {
        ...base,
        host: '0.0.0.0',
        tls: { mode: 'implicit', cert: '-----BEGIN C', key: '-----BEGIN K' },
      }).allowPlainLogin,
    ).toBe(false);
  });

  it('names every bad option at once', () => {
    expect(
      issues({
        port: 70000,
        tls: { mode: 'starttls', minVersion: 'SSLv3' as 'TLSv1' },
        maxConnections: 0,
        upstream: 'pop3s',
      }),
    ).toEqual([
      'imapProxy.port',
      'imapProxy.tls.minVersion',
      'imapProxy.tls.cert',
      'imapProxy.tls.key',
      'imapProxy.upstream',
      'imapProxy.maxConnections',
    ]);
  });

  it('refuses clear-text passwords on a non-loopback listener unless allowed explicitly', () => {
    expect(issues({ host: '0.0.0.0' }, 'pop3')).toEqual(['pop3Proxy.tls.mode']);
    expect(issues({ host: '0.0.0.0', allowPlainLogin: true }, 'pop3')).toEqual([]);
  });

  it('knows loopback addresses', () => {
    for (const host of ['127.0.0.1', '127.0.0.2', '::1', 'localhost'])
      expect(isLoopbackHost(host)).toBe(true);
    for (const host of ['0.0.0.0', '10.0.0.1', '::', 'mail.example'])
      expect(isLoopbackHost(host)).toBe(false);
  });
});
