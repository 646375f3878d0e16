import { describe, expect, it } from 'vitest';
import { testProtocol } from '../../test/runtime-fixtures.js';
import { connectionLimitOf, createConnectionLimiter, EXCHANGE_MAX_CONNECTIONS } from './connection-limit.js';

const settings = (host: string, properties: Record<string, string> = {}, user = 'someone@contoso.example') =>
  testProtocol('imaps', { host, properties, user });

describe('connectionLimitOf', () => {
  it('defaults to Exchange Online’s per-mailbox limit on its mail hosts, and to none elsewhere', () => {
    expect(connectionLimitOf(settings('outlook.office365.com')).limit).toBe(EXCHANGE_MAX_CONNECTIONS);
    expect(connectionLimitOf(settings('OUTLOOK.office365.us')).limit).toBe(EXCHANGE_MAX_CONNECTIONS);
    expect(connectionLimitOf(settings('imap.example.org')).limit).toBe(0);
  });

  it('follows mail.<p>.maxConnections and .wait when given (0: no limit)', () => {
    const given = settings('outlook.office365.com', {
      'mail.imaps.maxConnections': '0',
      'mail.imaps.maxConnections.wait': '1500',
    });
    expect(connectionLimitOf(given)).toEqual({ limit: 0, waitMs: 1500 });
    expect(connectionLimitOf(settings('imap.example.org', { 'mail.imaps.maxConnections': '4' })).limit).toBe(
      4,
    );
  });
});

describe('createConnectionLimiter', () => {
  it('queues beyond the limit per mailbox, hands slots over in order, and releases once', async () => {
    const limiter = createConnectionLimiter();
    const one = settings('imap.example.org', { 'mail.imaps.maxConnections': '1' });
    const other = settings('imap.example.org', { 'mail.imaps.maxConnections': '1' }, 'other@contoso.example');
    const order: string[] = [];
    const first = await limiter.acquire(one);
    const elsewhere = await limiter.acquire(other); // another mailbox is not held up
    const queued = (name: string) =>
      limiter.acquire(one).then((release) => {
        order.push(name);
        return release;
      });
    const second = queued('second');
    const third = queued('third');
    first();
    first(); // idempotent: frees one slot, not two
    const releaseSecond = await second;
    expect(order).toEqual(['second']);
    releaseSecond();
    (await third)();
    expect(order).toEqual(['second', 'third']);
    elsewhere();
  });

  it('leaves the queue when the signal aborts', async () => {
    const limiter = createConnectionLimiter();
    const one = settings('imap.example.org', { 'mail.imaps.maxConnections': '1' });
    const held = await limiter.acquire(one);
    const controller = new AbortController();
    const waiting = limiter.acquire(one, controller.signal);
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
    held();
    (await limiter.acquire(one))();
  });
});
