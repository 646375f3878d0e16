import { connect } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { resolveConfig } from '@kalisto/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../src/index.js';

/** Resolves true when something completes a TLS handshake on the port, trusting `ca`. */
function acceptsTls(port: number, ca: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connectTls({ host: '127.0.0.1', port, ca });
    socket.once('secureConnect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Resolves true when something accepts a TCP connection on the port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

interface HandleLike {
  address?: () => { port?: number } | string | null;
  remotePort?: number;
  localPort?: number;
}

/** Servers listening on, and sockets connected to, any of `ports` (process handles). */
function handlesOn(ports: readonly number[]): number {
  const handles = (process as unknown as { _getActiveHandles(): HandleLike[] })._getActiveHandles();
  return handles.filter((h) => {
    const address = typeof h.address === 'function' ? h.address() : undefined;
    const port = typeof address === 'object' && address ? address.port : undefined;
    return [port, h.remotePort, h.localPort].some((p) => p !== undefined && ports.includes(p));
  }).length;
}

/** Closed handles leave the list on a later turn of the event loop: wait (bounded) for that. */
async function eventuallyNoHandlesOn(ports: readonly number[]): Promise<number> {
  for (let i = 0; i < 100 && handlesOn(ports) > 0; i++)
    await new Promise((resolve) => setTimeout(resolve, 10));
  return handlesOn(ports);
}

describe('startSandbox / stop', () => {
  let sandbox: Sandbox | undefined;
  afterEach(async () => {
    await sandbox?.stop();
    sandbox = undefined;
  });

  it('listens on seven ephemeral ports, all refusing connections after stop, with no handle left', async () => {
    sandbox = await startSandbox();
    const { endpoints, ca } = sandbox;
    const plainPorts = [endpoints.imap, endpoints.pop3, endpoints.smtp].map((e) => e.port);
    // TLS ports are probed with a complete handshake, as a real client would.
    const tlsPorts = [
      Number(new URL(endpoints.authority).port),
      ...[endpoints.imaps, endpoints.pop3s, endpoints.smtps].map((e) => e.port),
    ];
    const ports = [...plainPorts, ...tlsPorts];
    expect(new Set(ports).size).toBe(7);
    for (const port of ports) expect(port).toBeGreaterThan(0);
    for (const port of plainPorts) expect(await accepts(port)).toBe(true);
    for (const port of tlsPorts) expect(await acceptsTls(port, ca)).toBe(true);
    expect(handlesOn(ports)).toBeGreaterThanOrEqual(7);

    await sandbox.stop();
    sandbox = undefined;
    for (const port of ports) expect(await accepts(port)).toBe(false);
    expect(await eventuallyNoHandlesOn(ports)).toBe(0);
  });

  it('fails to start on a taken port and leaves nothing listening behind', async () => {
    sandbox = await startSandbox();
    const listening = () =>
      (process as unknown as { _getActiveHandles(): HandleLike[] })
        ._getActiveHandles()
        .filter((h) => h.constructor.name === 'Server').length;
    const before = listening();
    // IMAP's plain port is the first it binds: the identity, POP3 and SMTP servers already run and must be closed.
    await expect(startSandbox({ ports: { imap: sandbox.endpoints.imap.port } })).rejects.toMatchObject({
      code: 'EADDRINUSE',
    });
    for (let i = 0; i < 100 && listening() > before; i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(listening()).toBe(before);
  });

  it('stop closes open client connections and pending fault timers too', async () => {
    sandbox = await startSandbox();
    const open = connect({ host: '127.0.0.1', port: sandbox.endpoints.imap.port });
    await new Promise((resolve) => open.once('connect', resolve));
    open.resume();
    const closed = new Promise((resolve) => open.once('close', resolve));
    sandbox.hooks.injectFault({ latencyMs: 60_000 });
    const { request } = await import('node:https');
    const pending = new Promise<string>((resolve) => {
      const req = request(
        sandbox?.endpoints.tokenUrl ?? '',
        { method: 'POST', ca: sandbox?.ca, agent: false },
        () => resolve('answered'),
      );
      req.on('error', () => resolve('closed'));
      req.end('grant_type=client_credentials');
    });
    for (let i = 0; i < 200 && (sandbox?.hooks.requestCounts().client_credentials ?? 0) === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await sandbox.stop();
    sandbox = undefined;
    await closed;
    expect(await pending).toBe('closed');
  });

  it('gives one tenant’s ready JavaMail properties, pointing every host, port and URL here', async () => {
    sandbox = await startSandbox();
    const { properties, endpoints, fixtures } = sandbox;
    expect(properties).toMatchObject({
      'o365.oauth.authority': endpoints.authority,
      'o365.oauth.tenant': fixtures.tenant.id,
      'o365.oauth.clientId': fixtures.confidentialApp.clientId,
      'o365.oauth.clientSecret': fixtures.confidentialApp.secret,
      'o365.oauth.url': `${endpoints.authority}/%s/oauth2/v2.0/token`,
      'mail.imaps.host': '127.0.0.1',
      'mail.imaps.port': String(endpoints.imaps.port),
      'mail.imap.port': String(endpoints.imap.port),
      'mail.imap.starttls.enable': 'true',
      'mail.pop3s.port': String(endpoints.pop3s.port),
      'mail.smtp.port': String(endpoints.smtp.port),
      'mail.smtps.port': String(endpoints.smtps.port),
      'kalisto.tls.ca': sandbox.ca,
    });
    expect(endpoints.tokenUrl).toBe(`${endpoints.authority}/${fixtures.tenant.id}/oauth2/v2.0/token`);
    expect(sandbox.propertiesText).toContain(`mail.smtps.port=${endpoints.smtps.port}\n`);
    expect(sandbox.propertiesText).toContain('kalisto.tls.ca=-----BEGIN CERTIFICATE-----\\n');
  });

  it('gives properties resolveConfig accepts, with and without the mail servers', async () => {
    sandbox = await startSandbox();
    const withMail = resolveConfig(sandbox.properties);
    expect(withMail.protocols.imaps).toMatchObject({ port: sandbox.endpoints.imaps.port, ssl: true });
    await sandbox.stop();

    sandbox = await startSandbox({ mail: false });
    expect(
      Object.keys(sandbox.properties).filter((name) =>
        /^mail\.\w+\.(host|port|ssl\.enable|starttls\.enable)$/.test(name),
      ),
    ).toEqual([]);
    expect(sandbox.propertiesText).not.toMatch(/^mail\.\w+\.port=/m);
    expect(sandbox.properties['o365.oauth.tenant']).toBe(sandbox.tenant.id);
    const withoutMail = resolveConfig(sandbox.properties);
    expect(withoutMail.protocols.imaps?.port).toBe(993);
  });

  it('creates every directory mailbox in the store with Exchange’s folders', async () => {
    sandbox = await startSandbox({ mail: false });
    for (const address of [sandbox.fixtures.users.adele.upn, sandbox.fixtures.sharedMailbox]) {
      expect(sandbox.store.mailbox(address)?.folder('Inbox')).toBeDefined();
    }
  });

  it('derives fixture ids from the seed, and refuses fixtures for a custom directory', async () => {
    sandbox = await startSandbox({ mail: false, seed: 7 });
    const seven = sandbox.fixtures.tenant.id;
    await sandbox.stop();
    sandbox = await startSandbox({ mail: false, seed: 7 });
    expect(sandbox.fixtures.tenant.id).toBe(seven);
    await sandbox.stop();
    sandbox = await startSandbox({
      mail: false,
      tenants: [{ id: '11111111-2222-4333-8444-555555555555', domain: 'example.test', apps: [], users: [] }],
    });
    expect(sandbox.tenant).toEqual({ id: '11111111-2222-4333-8444-555555555555', domain: 'example.test' });
    expect(() => sandbox?.fixtures).toThrow(/default directory/);
  });
});
