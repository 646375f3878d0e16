import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@kalisto/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { hashRelayPassword } from './password-hash.js';
import { loadRelayConfig } from './relay-config.js';
import { RELAY_PROPERTIES } from './relay-properties.js';

const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----';
let hash: string;

beforeAll(async () => {
  hash = await hashRelayPassword('printer-password');
});

const base = () => ({
  'o365.oauth.tenant': 'contoso.example',
  'kalisto.relay.listener.submit.protocol': 'smtp',
  'kalisto.relay.listener.submit.port': '2525',
  'kalisto.relay.tls.cert': CERT,
  'kalisto.relay.tls.key': KEY,
  'kalisto.relay.user.printer@contoso.example.password': hash,
  'kalisto.relay.user.printer@contoso.example.mailbox': 'Scans@Contoso.example',
});

function issuesOf(properties: Record<string, string>, env: Record<string, string> = {}) {
  try {
    loadRelayConfig(properties, { env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues.map((i) => `${i.property}: ${i.expected}`);
  }
  throw new Error('expected a ConfigError');
}

describe('loadRelayConfig', () => {
  it('reads listeners and users with every default, and leaves the rest as the base session config', () => {
    const config = loadRelayConfig(base());
    expect(config.listeners).toEqual([
      {
        name: 'submit',
        protocol: 'smtp',
        host: '127.0.0.1',
        port: 2525,
        mode: 'auth',
        tls: { mode: 'starttls', minVersion: 'TLSv1.2' },
        trustedNetworks: [],
        allowedSenders: [],
        maxMessageBytes: 36_700_160,
        maxRecipients: 500,
        maxConnections: 100,
        timeoutMs: 300_000,
        upstream: undefined,
      },
    ]);
    expect(config.users.map((u) => [u.name, u.mailbox])).toEqual([
      ['printer@contoso.example', 'scans@contoso.example'],
    ]);
    expect(String(config.users[0]?.passwordHash)).toBe('***');
    expect(config.base).toEqual({ 'o365.oauth.tenant': 'contoso.example' });
    expect(config.queue).toEqual({ kind: 'none', options: undefined });
    expect(config.admin).toBeUndefined();
    expect(config.lockout).toEqual({
      attempts: 5,
      addressAttempts: 20,
      windowMs: 900_000,
      durationMs: 900_000,
      maxTracked: 10_000,
    });
    expect(config.shutdownTimeoutMs).toBe(30_000);
  });

  it('reads .properties text', () => {
    const text = Object.entries(base())
      .map(([k, v]) => `${k}=${v.replaceAll('\n', '\\n')}`)
      .join('\n');
    expect(loadRelayConfig(text).listeners[0]?.port).toBe(2525);
  });

  it('resolves file: and env: references for the certificate, the key and the hashes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-config-'));
    writeFileSync(join(dir, 'relay.key'), `${KEY}\n`);
    const config = loadRelayConfig(
      {
        ...base(),
        'kalisto.relay.tls.cert': 'env:RELAY_CERT',
        'kalisto.relay.tls.key': `file:${join(dir, 'relay.key')}`,
        'kalisto.relay.user.printer@contoso.example.password': 'env:PRINTER_HASH',
      },
      { env: { RELAY_CERT: CERT, PRINTER_HASH: hash } },
    );
    expect(config.tls?.cert).toBe(CERT);
    expect(config.tls?.key.reveal()).toBe(KEY);
    expect(config.users[0]?.hash.N).toBe(32_768);
  });

  it('rejects unknown relay names with the closest known one, the listener name kept', () => {
    const issues = issuesOf({
      ...base(),
      'kalisto.relay.listener.submit.maxConnection': '5',
      'kalisto.relay.lockout.atempts': '3',
      'kalisto.relay.nonsense': 'x',
    });
    expect(issues).toEqual([
      'kalisto.relay.listener.submit.maxConnection: a known relay property: did you mean kalisto.relay.listener.submit.maxConnections? (docs/relay.md lists them)',
      'kalisto.relay.lockout.atempts: a known relay property: did you mean kalisto.relay.lockout.attempts? (docs/relay.md lists them)',
      'kalisto.relay.nonsense: a known relay property (docs/relay.md lists them)',
    ]);
  });

  it('names every bad value at once', () => {
    const issues = issuesOf({
      ...base(),
      'kalisto.relay.listener.submit.port': '70000',
      'kalisto.relay.listener.submit.tls': 'ssl',
      'kalisto.relay.listener.submit.tls.minVersion': 'SSLv3',
      'kalisto.relay.listener.submit.host': 'not a host',
      'kalisto.relay.lockout.window': '-1',
    });
    expect(issues).toEqual([
      'kalisto.relay.listener.submit.host: an IPv4 or IPv6 address to listen on (or localhost; 0.0.0.0 for every interface)',
      'kalisto.relay.listener.submit.port: a whole number 0-65535',
      'kalisto.relay.listener.submit.tls: one of none, starttls, implicit',
      'kalisto.relay.listener.submit.tls.minVersion: one of TLSv1, TLSv1.1, TLSv1.2, TLSv1.3',
      'kalisto.relay.lockout.window: a whole number 1-2147483647',
    ]);
  });

  it('auth mode without TLS only on loopback', () => {
    const plain = { ...base(), 'kalisto.relay.listener.submit.tls': 'none' };
    expect(loadRelayConfig(plain).listeners[0]?.tls.mode).toBe('none');
    expect(
      loadRelayConfig({ ...plain, 'kalisto.relay.listener.submit.host': '::1' }).listeners[0]?.host,
    ).toBe('::1');
    expect(issuesOf({ ...plain, 'kalisto.relay.listener.submit.host': '0.0.0.0' })).toEqual([
      'kalisto.relay.listener.submit.tls: starttls or implicit: in auth mode passwords would cross the network in clear text (0.0.0.0 is not loopback-only)',
    ]);
  });

  it('trusted-networks mode needs both lists (never an open relay), valid CIDRs and mailboxes', () => {
    const trusted = { ...base(), 'kalisto.relay.listener.submit.mode': 'trusted-networks' };
    expect(issuesOf(trusted)).toEqual([
      'kalisto.relay.listener.submit.trustedNetworks: the client networks (CIDR) allowed to send without AUTH: trusted-networks mode needs them',
      'kalisto.relay.listener.submit.allowedSenders: the mailboxes these clients may send as: trusted-networks mode needs them',
    ]);
    expect(
      issuesOf({
        ...trusted,
        'kalisto.relay.listener.submit.trustedNetworks': '10.0.0.0/8, 0.0.0.0/0, 10.1.2.300',
        'kalisto.relay.listener.submit.allowedSenders': 'scans@contoso.example, not-a-mailbox',
      }),
    ).toEqual([
      'kalisto.relay.listener.submit.trustedNetworks: a prefix longer than /0 (the whole internet is not a trusted network)',
      'kalisto.relay.listener.submit.trustedNetworks: an IPv4 or IPv6 address with an optional /prefix',
      'kalisto.relay.listener.submit.allowedSenders: mailbox addresses (name@domain), separated by commas',
    ]);
    const ok = loadRelayConfig({
      ...trusted,
      'kalisto.relay.listener.submit.tls': 'none',
      'kalisto.relay.listener.submit.host': '0.0.0.0',
      'kalisto.relay.listener.submit.trustedNetworks': '192.168.10.0/24 2001:db8::/64',
      'kalisto.relay.listener.submit.allowedSenders': 'Scans@Contoso.example',
    });
    expect(ok.listeners[0]?.trustedNetworks).toEqual(['192.168.10.0/24', '2001:db8::/64']);
    expect(ok.listeners[0]?.allowedSenders).toEqual(['scans@contoso.example']);
  });

  it('trustedNetworks in auth mode, SMTP settings on an IMAP listener and trusted-networks IMAP are mistakes', () => {
    expect(
      issuesOf({
        ...base(),
        'kalisto.relay.listener.submit.trustedNetworks': '10.0.0.0/8',
        'kalisto.relay.listener.imap.protocol': 'imap',
        'kalisto.relay.listener.imap.port': '1143',
        'kalisto.relay.listener.imap.mode': 'trusted-networks',
        'kalisto.relay.listener.imap.maxRecipients': '5',
      }),
    ).toEqual([
      'kalisto.relay.listener.submit.trustedNetworks: mode=trusted-networks (in auth mode every client logs in; leave trustedNetworks out)',
      'kalisto.relay.listener.imap.maxRecipients: no such setting on an IMAP listener (only smtp)',
      'kalisto.relay.listener.imap.mode: auth: an IMAP listener always needs a relay credential',
    ]);
  });

  it('a plain password where the hash belongs is refused and never shown', () => {
    let message = '';
    try {
      loadRelayConfig({ ...base(), 'kalisto.relay.user.printer@contoso.example.password': 'Hunter2-Plain!' });
    } catch (error) {
      message = `${(error as Error).message} ${JSON.stringify(error)}`;
    }
    expect(message).toContain('kalisto.relay.user.printer@contoso.example.password');
    expect(message).toContain('a plain password is refused');
    expect(message).not.toContain('Hunter2-Plain!');
  });

  it('TLS listeners need the certificate and key; auth listeners need a user; a listener needs a protocol', () => {
    const properties: Record<string, string> = { ...base(), 'kalisto.relay.listener.other.port': '25' };
    delete properties['kalisto.relay.tls.cert'];
    delete properties['kalisto.relay.tls.key'];
    delete properties['kalisto.relay.user.printer@contoso.example.password'];
    delete properties['kalisto.relay.user.printer@contoso.example.mailbox'];
    expect(issuesOf(properties)).toEqual([
      'kalisto.relay.listener.other.protocol: smtp, imap or pop3 (listener "other" has properties but no protocol)',
      'kalisto.relay.user.<name>.password: at least one relay user for the auth-mode listeners (kalisto relay hash-password makes the hash)',
      "kalisto.relay.tls.cert: the listeners' certificate (PEM, file:PATH or env:NAME): a listener uses TLS",
      "kalisto.relay.tls.key: the certificate's private key (file:PATH or env:NAME)",
    ]);
  });

  it('a missing env: reference names the property and the variable, not a value', () => {
    expect(issuesOf({ ...base(), 'kalisto.relay.tls.key': 'env:RELAY_KEY' })).toEqual([
      'kalisto.relay.tls.key: the environment variable RELAY_KEY to be set',
    ]);
  });

  it('two listeners on one port is a mistake; port 0 may repeat', () => {
    const two = {
      ...base(),
      'kalisto.relay.listener.again.protocol': 'pop3',
      'kalisto.relay.listener.again.port': '2525',
    };
    expect(issuesOf(two)).toEqual([
      'kalisto.relay.listener.again.port: a port no other listener uses (listener "submit" has 127.0.0.1:2525)',
    ]);
    expect(
      loadRelayConfig({
        ...two,
        'kalisto.relay.listener.submit.port': '0',
        'kalisto.relay.listener.again.port': '0',
      }).listeners,
    ).toHaveLength(2);
  });

  it('reads kalisto.relay.queue.* into the queue options, references resolved', () => {
    const spool = loadRelayConfig({
      ...base(),
      'kalisto.relay.queue': 'spool',
      'kalisto.relay.queue.path': '/var/spool/kalisto',
      'kalisto.relay.queue.maxAttempts': '7',
    });
    expect(spool.queue).toEqual({
      kind: 'spool',
      options: { kind: 'spool', path: '/var/spool/kalisto', maxAttempts: 7 },
    });
    const redis = loadRelayConfig(
      { ...base(), 'kalisto.relay.queue': 'redis', 'kalisto.relay.queue.redis.url': 'env:QUEUE_URL' },
      { env: { QUEUE_URL: 'redis://:s3cret@redis.internal:6379/2' } },
    );
    expect(redis.queue.options).toMatchObject({
      kind: 'redis',
      url: 'redis://:s3cret@redis.internal:6379/2',
    });
  });

  it('queue properties: unknown ones get a suggestion, misplaced and missing ones are named', () => {
    expect(
      issuesOf({ ...base(), 'kalisto.relay.queue': 'spool', 'kalisto.relay.queue.maxAttempt': '3' }),
    ).toEqual([
      'kalisto.relay.queue.maxAttempt: a known relay property: did you mean kalisto.relay.queue.maxAttempts? (docs/relay.md lists them)',
      'kalisto.relay.queue.path: the spool directory (required with kalisto.relay.queue=spool)',
    ]);
    expect(issuesOf({ ...base(), 'kalisto.relay.queue.path': '/tmp/x' })).toEqual([
      'kalisto.relay.queue.path: kalisto.relay.queue=spool or redis (the queue is off: none)',
    ]);
  });

  it('with the redis queue, an SMTP listener may not accept more than the queue keeps', () => {
    expect(
      issuesOf({
        ...base(),
        'kalisto.relay.queue': 'redis',
        'kalisto.relay.queue.redis.url': 'redis://127.0.0.1:6379',
        'kalisto.relay.queue.redis.maxMessageBytes': '1000000',
      }),
    ).toEqual([
      'kalisto.relay.listener.submit.maxMessageBytes: at most kalisto.relay.queue.redis.maxMessageBytes (1000000): a message the listener accepts must fit in the queue',
    ]);
  });

  it('a redis URL with a password is never shown in an error', () => {
    let message = '';
    try {
      loadRelayConfig({
        ...base(),
        'kalisto.relay.queue': 'redis',
        'kalisto.relay.queue.redis.url': 'redis://:s3cret-pw@redis.internal:6379',
        'kalisto.relay.queue.path': '/tmp/x',
      });
    } catch (error) {
      message = `${(error as Error).message} ${JSON.stringify(error)}`;
    }
    expect(message).toContain('kalisto.relay.queue.path');
    expect(message).not.toContain('s3cret-pw');
  });
});

describe('RELAY_PROPERTIES', () => {
  it('each row has a description and, when it has values or a range, a default inside them', () => {
    for (const row of RELAY_PROPERTIES) {
      expect(row.description.length, row.name).toBeGreaterThan(10);
      if (row.default !== undefined && row.values) expect(row.values, row.name).toContain(row.default);
      if (row.default !== undefined && row.range) {
        expect(Number(row.default), row.name).toBeGreaterThanOrEqual(row.range[0]);
        expect(Number(row.default), row.name).toBeLessThanOrEqual(row.range[1]);
      }
    }
  });
});
