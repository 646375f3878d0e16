/**
 * The whole sandbox end to end: a real token from the identity platform (obtained by the real
 * MSAL over HTTPS) opens the mailbox on all six protocol/port combinations, and bad, expired,
 * revoked and foreign-tenant tokens are refused on each.
 */
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import { ConfidentialClientApplication, PublicClientApplication } from '@azure/msal-node';
import { ImapFlow } from 'imapflow';
import { createTransport } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../src/index.js';
import { claimsOf } from './identity.helpers.js';

const APP_SCOPE = 'https://outlook.office365.com/.default';

type Combination = 'imap' | 'imaps' | 'pop3' | 'pop3s' | 'smtp' | 'smtps';
const COMBINATIONS: Combination[] = ['imap', 'imaps', 'pop3', 'pop3s', 'smtp', 'smtps'];

/** Reads CRLF-terminated lines from a socket. */
class LineReader {
  private buffer = '';
  private waiting: ((line: string) => void) | undefined;
  private readonly lines: string[] = [];

  constructor(private socket: Socket | TLSSocket) {
    this.attach(socket);
  }

  attach(socket: Socket | TLSSocket): void {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      for (let i = this.buffer.indexOf('\r\n'); i >= 0; i = this.buffer.indexOf('\r\n')) {
        const line = this.buffer.slice(0, i);
        this.buffer = this.buffer.slice(i + 2);
        const resolve = this.waiting;
        this.waiting = undefined;
        if (resolve) resolve(line);
        else this.lines.push(line);
      }
    });
  }

  next(): Promise<string> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    return new Promise((resolve, reject) => {
      this.waiting = resolve;
      this.socket.once('close', () => reject(new Error('connection closed')));
    });
  }

  async send(line: string): Promise<string> {
    this.socket.write(`${line}\r\n`);
    return this.next();
  }
}

/** POP3 AUTH XOAUTH2 the way Exchange wants it: the payload on its own line after `+`. */
async function pop3Login(
  sandbox: Sandbox,
  combination: 'pop3' | 'pop3s',
  user: string,
  token: string,
): Promise<string> {
  const { port, host } = sandbox.endpoints[combination];
  let socket: Socket | TLSSocket =
    combination === 'pop3s' ? connectTls({ host, port, ca: sandbox.ca }) : connectTcp({ host, port });
  socket.on('error', () => {});
  const reader = new LineReader(socket);
  try {
    expect(await reader.next()).toMatch(/^\+OK/);
    if (combination === 'pop3') {
      expect(await reader.send('STLS')).toMatch(/^\+OK/);
      socket.removeAllListeners('data');
      const upgraded = connectTls({ socket, ca: sandbox.ca, servername: 'localhost' });
      upgraded.on('error', () => {});
      await new Promise((resolve) => upgraded.once('secureConnect', resolve));
      socket = upgraded;
      reader.attach(upgraded);
    }
    expect(await reader.send('AUTH XOAUTH2')).toMatch(/^\+/);
    const payload = Buffer.from(`user=${user}\x01auth=Bearer ${token}\x01\x01`).toString('base64');
    return await reader.send(payload);
  } finally {
    socket.destroy();
  }
}

async function imapLogin(sandbox: Sandbox, combination: 'imap' | 'imaps', user: string, token: string) {
  const { port, host } = sandbox.endpoints[combination];
  const client = new ImapFlow({
    host,
    port,
    secure: combination === 'imaps',
    doSTARTTLS: combination === 'imap' ? true : undefined,
    tls: { ca: sandbox.ca, servername: 'localhost' },
    auth: { user, accessToken: token },
    logger: false,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    // A command after login proves the session is usable, not just authenticated.
    const status = await client.status('INBOX', { messages: true });
    if (status === false) throw new Error('STATUS INBOX failed after login');
    return { ok: true as const };
  } catch (error) {
    return { ok: false as const, error: error as { authenticationFailed?: boolean; responseText?: string } };
  } finally {
    client.close();
  }
}

async function smtpLogin(sandbox: Sandbox, combination: 'smtp' | 'smtps', user: string, token: string) {
  const { port, host } = sandbox.endpoints[combination];
  const transport = createTransport({
    host,
    port,
    secure: combination === 'smtps',
    requireTLS: combination === 'smtp',
    tls: { ca: sandbox.ca, servername: 'localhost' },
    auth: { type: 'OAuth2', user, accessToken: token },
  });
  try {
    await transport.verify();
    return { ok: true as const };
  } catch (error) {
    return { ok: false as const, error: error as { code?: string; response?: string } };
  } finally {
    transport.close();
  }
}

/** Logs in on one combination; resolves `ok` or the server's refusal text. */
async function login(
  sandbox: Sandbox,
  combination: Combination,
  user: string,
  token: string,
): Promise<string> {
  if (combination === 'pop3' || combination === 'pop3s') {
    const reply = await pop3Login(sandbox, combination, user, token);
    return reply.startsWith('+OK') ? 'ok' : reply;
  }
  if (combination === 'imap' || combination === 'imaps') {
    const result = await imapLogin(sandbox, combination, user, token);
    if (result.ok) return 'ok';
    expect(result.error.authenticationFailed).toBe(true);
    return result.error.responseText ?? 'refused';
  }
  const result = await smtpLogin(sandbox, combination, user, token);
  if (result.ok) return 'ok';
  expect(result.error.code).toBe('EAUTH');
  return result.error.response ?? 'refused';
}

describe('startSandbox end to end: six ports, real tokens', () => {
  let sandbox: Sandbox;
  let good: string;
  let revoked: string;
  let expired: string;
  let foreign: string;

  const msalToken = async (clientId: string, clientSecret: string, tenant?: string) => {
    const cfg = sandbox.msalConfig({ clientId, tenant });
    const app = new ConfidentialClientApplication({
      auth: { ...cfg.auth, clientSecret },
      system: cfg.system,
    });
    const result = await app.acquireTokenByClientCredential({ scopes: [APP_SCOPE], skipCache: true });
    if (!result) throw new Error('MSAL returned no token');
    return result.accessToken;
  };

  beforeAll(async () => {
    sandbox = await startSandbox();
    const { confidentialApp, foreignApp, foreignTenant } = sandbox.fixtures;
    good = await msalToken(confidentialApp.clientId, confidentialApp.secret);
    revoked = await msalToken(confidentialApp.clientId, confidentialApp.secret);
    sandbox.hooks.revokeToken(String(claimsOf(revoked).jti));
    expired = (await sandbox.hooks.mintToken({ clientId: confidentialApp.clientId, lifetimeSeconds: -60 }))
      .token;
    foreign = await msalToken(foreignApp.clientId, foreignApp.secret, foreignTenant.id);
  });
  afterAll(async () => {
    await sandbox?.stop();
  });

  it('a delegate’s password-grant token opens the shared mailbox (IMAP) and sends as it (SMTP)', async () => {
    const { megan } = sandbox.fixtures.users;
    const cfg = sandbox.msalConfig({ clientId: sandbox.fixtures.publicApp.clientId });
    const app = new PublicClientApplication({ auth: cfg.auth, system: cfg.system });
    const result = await app.acquireTokenByUsernamePassword({
      scopes: ['https://outlook.office.com/.default'],
      username: megan.upn,
      password: megan.password,
    });
    const token = result?.accessToken ?? '';
    expect(await login(sandbox, 'imaps', sandbox.fixtures.sharedMailbox, token)).toBe('ok');
    expect(await login(sandbox, 'smtp', sandbox.fixtures.sharedMailbox, token)).toBe('ok');
    expect(await login(sandbox, 'pop3s', sandbox.fixtures.users.adele.upn, token)).toMatch(/^-ERR/);
  });

  for (const combination of COMBINATIONS) {
    describe(combination, () => {
      const mailbox = () => sandbox.fixtures.users.adele.upn;

      it('logs in with an app-only token from the identity platform', async () => {
        expect(await login(sandbox, combination, mailbox(), good)).toBe('ok');
      });

      it('refuses a token that is not one, an expired, a revoked and a foreign-tenant token', async () => {
        for (const token of ['not-a-token', expired, revoked, foreign]) {
          const reply = await login(sandbox, combination, mailbox(), token);
          expect(reply).not.toBe('ok');
          if (combination.startsWith('imap')) expect(reply).toMatch(/AUTHENTICATE failed/);
          if (combination.startsWith('pop3')) expect(reply).toMatch(/^-ERR/);
          if (combination.startsWith('smtp')) expect(reply).toMatch(/^535 5\.7\.3 /);
        }
      });
    });
  }
});
