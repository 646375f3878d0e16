import type { KalistoSession } from '@kalisto/core';
import { type ConnectProxy, startConnectProxy } from '@kalisto/test-support';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Pop3TestBed, seedInbox, startTestBed, trickyMessage } from './helpers.js';

let bed: Pop3TestBed;
const sessions: KalistoSession[] = [];
const proxies: ConnectProxy[] = [];

beforeAll(async () => {
  bed = await startTestBed();
});
afterAll(async () => {
  await bed?.stop();
});
afterEach(async () => {
  for (const session of sessions.splice(0)) await session.close();
  for (const proxy of proxies.splice(0)) await proxy.close();
});

async function proxy(options?: { refuseWith?: number }): Promise<ConnectProxy> {
  const started = await startConnectProxy(options);
  proxies.push(started);
  return started;
}

function openSession(overrides: Record<string, string>): KalistoSession {
  const session = bed.kalisto.session({ ...bed.sandbox.properties, ...overrides });
  sessions.push(session);
  return session;
}

describe('HTTP CONNECT proxy (mail.<protocol>.proxy.*)', () => {
  it.each(['pop3s', 'pop3'] as const)(
    '%s tunnels through the proxy with TLS verified end to end',
    async (protocol) => {
      seedInbox(bed.sandbox, bed.user, [trickyMessage(1)]);
      const tunnel = await proxy();
      const session = openSession({
        [`mail.${protocol}.proxy.host`]: '127.0.0.1',
        [`mail.${protocol}.proxy.port`]: String(tunnel.port),
      });
      const client = await session.store(protocol);
      expect(client.secure).toBe(true);
      expect(await client.retrBuffer(1)).toEqual(trickyMessage(1));
      await client.quit();
      const { port } = bed.sandbox.endpoints[protocol];
      expect(tunnel.requests).toEqual([
        expect.stringMatching(new RegExp(`^CONNECT 127\\.0\\.0\\.1:${port} HTTP/1\\.1`)),
      ]);
    },
  );

  it('a refused tunnel is POP3_PROXY_FAILED; the proxy password goes only into Proxy-Authorization', async () => {
    const refusing = await proxy({ refuseWith: 407 });
    const session = openSession({
      'mail.pop3s.proxy.url': `http://relay:pr0xy-pa55@127.0.0.1:${refusing.port}`,
    });
    const error = await session.store('pop3s').then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error).toMatchObject({ name: 'ConnectionError', code: 'POP3_PROXY_FAILED', transient: false });
    expect(error?.message).toContain('HTTP 407');
    expect(`${error?.message} ${error?.stack} ${JSON.stringify(error)}`).not.toContain('pr0xy-pa55');
    expect(refusing.requests[0]).toContain(
      `Proxy-Authorization: Basic ${Buffer.from('relay:pr0xy-pa55').toString('base64')}`,
    );
  });

  it('an unreachable proxy names the proxy, not the mail server', async () => {
    const gone = await proxy();
    const port = gone.port;
    await gone.close();
    const session = openSession({
      'mail.pop3s.proxy.host': '127.0.0.1',
      'mail.pop3s.proxy.port': String(port),
    });
    await expect(session.store('pop3s')).rejects.toMatchObject({
      code: 'POP3_PROXY_FAILED',
      message: expect.stringContaining(`proxy 127.0.0.1:${port}`),
    });
  });
});
