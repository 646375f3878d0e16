import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { QUEUE_DEFAULTS, QUEUE_PROPERTIES, queueOptionsFromProperties, resolveTuning } from './options.js';

describe('queueOptionsFromProperties', () => {
  it('maps the kalisto.relay.queue.* properties onto the options', () => {
    expect(
      queueOptionsFromProperties('spool', {
        path: '/var/spool/kalisto',
        concurrency: '5',
        maxAttempts: '7',
        'backoff.base': '1000',
        'backoff.max': '60000',
        maxAge: '3600000',
        lease: '30000',
        poll: '500',
      }),
    ).toEqual({
      kind: 'spool',
      path: '/var/spool/kalisto',
      concurrency: 5,
      maxAttempts: 7,
      backoffBaseMs: 1_000,
      backoffMaxMs: 60_000,
      maxAgeMs: 3_600_000,
      leaseMs: 30_000,
      pollIntervalMs: 500,
    });
    expect(
      queueOptionsFromProperties('redis', {
        'redis.url': 'redis://r:6379',
        'redis.prefix': '{k}',
        'redis.maxMessageBytes': '1000',
      }),
    ).toEqual({ kind: 'redis', url: 'redis://r:6379', prefix: '{k}', maxMessageBytes: 1_000 });
  });

  it('reads redis.url from env:NAME or file:PATH', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'kalisto-q-')), 'url');
    writeFileSync(file, 'redis://:from-file@r:6379\n');
    expect(
      queueOptionsFromProperties('redis', { 'redis.url': 'env:QUEUE_URL' }, { QUEUE_URL: 'redis://e:1' }),
    ).toMatchObject({
      url: 'redis://e:1',
    });
    expect(queueOptionsFromProperties('redis', { 'redis.url': `file:${file}` })).toMatchObject({
      url: 'redis://:from-file@r:6379',
    });
    expect(() => queueOptionsFromProperties('redis', { 'redis.url': 'env:QUEUE_URL' }, {})).toThrow(
      /kalisto\.relay\.queue\.redis\.url.*QUEUE_URL/,
    );
  });

  it('names every bad, missing, unknown or misplaced property in one error', () => {
    let error: unknown;
    try {
      queueOptionsFromProperties('spool', { concurrency: 'many', maxAtempts: '3', 'redis.url': 'redis://x' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: 'CONFIG_INVALID' });
    const properties = (error as { issues: Array<{ property: string }> }).issues
      .map((i) => i.property)
      .sort();
    expect(properties).toEqual([
      'kalisto.relay.queue.concurrency',
      'kalisto.relay.queue.maxAtempts',
      'kalisto.relay.queue.path',
      'kalisto.relay.queue.redis.url',
    ]);
  });

  it('never shows a Redis password read from the environment in its error', () => {
    const secret = 'Env-Redis-Pass-9';
    let message = '';
    try {
      queueOptionsFromProperties(
        'redis',
        { 'redis.url': 'env:Q', concurrency: 'x' },
        { Q: `http://:${secret}@r` },
      );
    } catch (caught) {
      message = `${(caught as Error).message} ${JSON.stringify(caught)}`;
    }
    expect(message).toContain('kalisto.relay.queue.redis.url');
    expect(message).not.toContain(secret);
  });

  it('never shows the Redis password in its error', () => {
    const secret = 'Queue-Redis-Pass-42';
    let message = '';
    try {
      queueOptionsFromProperties('redis', { 'redis.url': `http://:${secret}@r:6379`, concurrency: '0' });
    } catch (caught) {
      message = `${(caught as Error).message} ${JSON.stringify(caught)}`;
    }
    expect(message).toContain('kalisto.relay.queue.concurrency');
    expect(message).toContain('kalisto.relay.queue.redis.url');
    expect(message).not.toContain(secret);
  });

  it('has a table row with a default for every default it documents', () => {
    const byName = new Map(QUEUE_PROPERTIES.map((row) => [row.name, row]));
    expect(byName.get('kalisto.relay.queue.concurrency')?.default).toBe(String(QUEUE_DEFAULTS.concurrency));
    expect(byName.get('kalisto.relay.queue.maxAge')?.default).toBe(String(QUEUE_DEFAULTS.maxAgeMs));
    expect(() => resolveTuning({ concurrency: 0 }, 'spoolQueue')).toThrow(/spoolQueue\.concurrency/);
  });
});
