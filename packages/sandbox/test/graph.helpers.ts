/**
 * Shared by the Graph tests: plain HTTPS requests to the sandbox's Graph (node:https, the sandbox
 * CA, TLS verified), tokens from the real @azure/msal-node, and an imapflow client to read back.
 */
import { Agent, request } from 'node:https';
import { ConfidentialClientApplication, PublicClientApplication } from '@azure/msal-node';
import { ImapFlow } from 'imapflow';
import type { Sandbox } from '../src/index.js';

export const GRAPH_APP_SCOPE = 'https://graph.microsoft.com/.default';

export interface GraphReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** The body as JSON (undefined when empty or not JSON). */
  // biome-ignore lint/suspicious/noExplicitAny: tests read Graph's JSON loosely and assert on it
  json: any;
}

export interface GraphCallOptions {
  token?: string;
  body?: string | Buffer;
  contentType?: string;
  headers?: Record<string, string>;
}

/** A Graph client over one keep-alive agent trusting the sandbox CA. */
export class GraphClient {
  readonly #agent: Agent;

  constructor(private readonly sandbox: Sandbox) {
    this.#agent = new Agent({ ca: sandbox.ca, keepAlive: true });
  }

  /** `path` relative to the API base (`/users/…`), or an absolute URL (a nextLink, an uploadUrl). */
  call(method: string, path: string, options: GraphCallOptions = {}): Promise<GraphReply> {
    const url = path.startsWith('https://') ? path : `${this.sandbox.endpoints.graph.url}${path}`;
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) {
      headers['content-type'] = options.contentType ?? 'application/json';
      headers['content-length'] = String(Buffer.byteLength(options.body));
    }
    return new Promise((resolve, reject) => {
      const req = request(url, { method, headers, agent: this.#agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          let json: unknown;
          if (String(res.headers['content-type'] ?? '').startsWith('application/json') && body.length > 0) {
            json = JSON.parse(body.toString('utf8'));
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json });
        });
      });
      req.on('error', reject);
      req.end(options.body);
    });
  }

  /** POST …/sendMail with the message as base64 MIME. */
  sendMime(user: string, token: string, raw: Buffer | string): Promise<GraphReply> {
    return this.call('POST', `/users/${encodeURIComponent(user)}/sendMail`, {
      token,
      body: Buffer.from(raw).toString('base64'),
      contentType: 'text/plain',
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** An app-only Graph token for `clientId`/`secret` (default: the daemon app), from real MSAL. */
export async function appGraphToken(
  sandbox: Sandbox,
  app: { clientId: string; secret: string } = sandbox.fixtures.confidentialApp,
): Promise<string> {
  const cfg = sandbox.msalConfig({ clientId: app.clientId });
  const msal = new ConfidentialClientApplication({
    auth: { ...cfg.auth, clientSecret: app.secret },
    system: cfg.system,
  });
  const result = await msal.acquireTokenByClientCredential({ scopes: [GRAPH_APP_SCOPE] });
  if (!result) throw new Error('no token');
  return result.accessToken;
}

/** A delegated token for a fixture user from the public app (password grant), from real MSAL. */
export async function userToken(
  sandbox: Sandbox,
  upn: string,
  password: string,
  scopes: string[],
): Promise<string> {
  const cfg = sandbox.msalConfig({ clientId: sandbox.fixtures.publicApp.clientId });
  const msal = new PublicClientApplication({ auth: cfg.auth, system: cfg.system });
  const result = await msal.acquireTokenByUsernamePassword({ scopes, username: upn, password });
  if (!result) throw new Error('no token');
  return result.accessToken;
}

/** An IMAP session on `mailbox` with an app-only Exchange token (the daemon app). */
export async function imapSession(sandbox: Sandbox, mailbox: string): Promise<ImapFlow> {
  const cfg = sandbox.msalConfig();
  const msal = new ConfidentialClientApplication({
    auth: { ...cfg.auth, clientSecret: sandbox.fixtures.confidentialApp.secret },
    system: cfg.system,
  });
  const result = await msal.acquireTokenByClientCredential({
    scopes: ['https://outlook.office365.com/.default'],
  });
  const client = new ImapFlow({
    host: sandbox.endpoints.imaps.host,
    port: sandbox.endpoints.imaps.port,
    secure: true,
    tls: { ca: sandbox.ca },
    auth: { user: mailbox, accessToken: result?.accessToken ?? '' },
    logger: false,
  });
  await client.connect();
  return client;
}

/** The UIDs of `folder`'s messages whose subject contains `subject`. */
export async function imapSearch(client: ImapFlow, folder: string, subject: string): Promise<number[]> {
  const lock = await client.getMailboxLock(folder);
  try {
    return (await client.search({ subject }, { uid: true })) || [];
  } finally {
    lock.release();
  }
}

/** The flags of the message with `uid` in `folder`, sorted. */
export async function imapFlags(client: ImapFlow, folder: string, uid: number): Promise<string[]> {
  const lock = await client.getMailboxLock(folder);
  try {
    const message = await client.fetchOne(String(uid), { flags: true }, { uid: true });
    return message ? [...(message.flags ?? [])].sort() : [];
  } finally {
    lock.release();
  }
}

/** The full source of the message with `uid` in `folder`, over IMAP (BODY[]). */
export async function imapSource(client: ImapFlow, folder: string, uid: number): Promise<Buffer> {
  const lock = await client.getMailboxLock(folder);
  try {
    const message = await client.fetchOne(String(uid), { source: true }, { uid: true });
    if (message === false || !message.source) throw new Error(`no message ${uid} in ${folder}`);
    return message.source;
  } finally {
    lock.release();
  }
}

/** A small CRLF message. */
export function mimeMessage(fields: {
  from: string;
  to: string;
  subject: string;
  cc?: string;
  bcc?: string;
  body?: string;
}): Buffer {
  const lines = [
    `From: ${fields.from}`,
    `To: ${fields.to}`,
    ...(fields.cc ? [`Cc: ${fields.cc}`] : []),
    ...(fields.bcc ? [`Bcc: ${fields.bcc}`] : []),
    `Subject: ${fields.subject}`,
    'Date: Mon, 06 May 2024 10:00:00 +0000',
    `Message-ID: <${fields.subject.replace(/\W/g, '')}.${Math.random().toString(36).slice(2)}@test.invalid>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    fields.body ?? `Body of ${fields.subject}`,
    '',
  ];
  return Buffer.from(lines.join('\r\n'), 'utf8');
}
