/**
 * The identity platform's HTTPS server: a tiny router over node:https serving the discovery
 * documents, the authorize endpoint (sign-in pages), the token and device authorization endpoints,
 * RFC 7662 introspection and a minimal device login page, with fault injection in front of the token endpoints.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { IdentityRequestKind, SandboxState } from '../state.js';
import { AadstsError, aadstsBody } from './aadsts.js';
import { authorizeEndpoint } from './authorize.js';
import { instanceDiscovery, jwks, openIdConfiguration } from './discovery.js';
import {
  approveDeviceCode,
  authorizationCodeGrant,
  clientCredentialsGrant,
  DEVICE_CODE_GRANT,
  deviceAuthorization,
  deviceCodeGrant,
  type GrantContext,
  passwordGrant,
  refreshTokenGrant,
  type TokenResponseBody,
} from './grants.js';
import { introspect } from './introspection.js';
import { type SigningKey, TokenIssuer } from './tokens.js';

/** Options of `startIdentityServer`. */
export interface IdentityServerOptions {
  state: SandboxState;
  key: SigningKey;
  tls: { key: string; cert: string };
  /** Default `127.0.0.1`. */
  host?: string;
  /** Default 0 (ephemeral). */
  port?: number;
}

/** A listening identity server. */
export interface RunningIdentityServer {
  /** `https://HOST:PORT` (no trailing slash). */
  readonly url: string;
  readonly port: number;
  readonly issuer: TokenIssuer;
  close(): Promise<void>;
}

const MAX_BODY = 1 << 20;

const GRANTS: Record<
  string,
  { kind: IdentityRequestKind; run: (ctx: GrantContext) => Promise<TokenResponseBody> }
> = {
  client_credentials: { kind: 'client_credentials', run: clientCredentialsGrant },
  password: { kind: 'password', run: passwordGrant },
  authorization_code: { kind: 'other', run: authorizationCodeGrant },
  refresh_token: { kind: 'refresh_token', run: refreshTokenGrant },
  [DEVICE_CODE_GRANT]: { kind: 'device_code', run: deviceCodeGrant },
  device_code: { kind: 'device_code', run: deviceCodeGrant },
};

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** `id:secret` of an HTTP Basic header, each form-decoded as RFC 6749 §2.3.1 asks. */
function basicCredentials(req: IncomingMessage): { id: string; secret: string } | undefined {
  const encoded = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
  if (!encoded) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const formDecode = (text: string) => decodeURIComponent(text.replace(/\+/g, ' '));
  try {
    return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
  } catch {
    return undefined;
  }
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store, no-cache',
    pragma: 'no-cache',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function sendHtml(res: ServerResponse, status: number, body: string): void {
  const page = `<!doctype html><meta charset="utf-8"><title>Kalisto sandbox sign-in</title><body>${body}</body>`;
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(page),
  });
  res.end(page);
}

const DEVICE_LOGIN_FORM = `<h1>Kalisto sandbox: device sign-in</h1>
<form method="post"><label>Code <input name="user_code"></label><br>
<label>User <input name="username"></label><br><label>Password <input name="password" type="password"></label><br>
<button>Sign in</button></form>`;

/** Starts the HTTPS identity platform on `host:port` (ephemeral by default). */
export async function startIdentityServer(options: IdentityServerOptions): Promise<RunningIdentityServer> {
  const { state, key } = options;
  const host = options.host ?? '127.0.0.1';
  let baseUrl = '';
  const issuer = new TokenIssuer(state, key, () => baseUrl);
  const closing = new AbortController();

  const correlationOf = (req: IncomingMessage, url: URL): string | undefined => {
    const header = req.headers['client-request-id'];
    return (
      (typeof header === 'string' ? header : undefined) ??
      url.searchParams.get('client-request-id') ??
      undefined
    );
  };

  const fail = (res: ServerResponse, error: AadstsError, correlationId: string | undefined) => {
    const body = aadstsBody(error, new Date(state.now()), correlationId);
    sendJson(res, error.status, body, {
      ...error.headers,
      ...(correlationId ? { 'client-request-id': correlationId } : {}),
    });
  };

  /** Applies the next injected fault; returns true when the request was answered (or dropped). */
  const applyFault = async (req: IncomingMessage, res: ServerResponse, correlationId: string | undefined) => {
    const fault = state.takeFault();
    if (!fault) return false;
    if (fault.latencyMs) await sleep(fault.latencyMs, undefined, { signal: closing.signal });
    if (fault.drop) {
      req.socket.destroy();
      return true;
    }
    if (fault.status) {
      const headers: Record<string, string> =
        fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) };
      fail(
        res,
        new AadstsError(fault.status === 429 ? 90055 : 90033, [], { headers, status: fault.status }),
        correlationId,
      );
      return true;
    }
    return false;
  };

  /**
   * A POST endpoint of a tenant (`/{tenant}/oauth2/v2.0/…`): reads the form, lets `endpoint` say what
   * the request counts as and how to answer it, applies the next injected fault, then sends the body
   * `run` returns, or the AADSTS error it throws.
   */
  const tenantEndpoint =
    (
      endpoint: (
        params: URLSearchParams,
        req: IncomingMessage,
      ) => { kind: IdentityRequestKind; run: (ctx: GrantContext) => Promise<unknown> },
    ) =>
    async (req: IncomingMessage, res: ServerResponse, url: URL, tenantSegment: string) => {
      const correlationId = correlationOf(req, url);
      const params = new URLSearchParams(await readBody(req));
      const { kind, run } = endpoint(params, req);
      state.count(kind);
      if (await applyFault(req, res, correlationId)) return;
      try {
        const body = await run({ state, issuer, params, tenantSegment, baseUrl });
        sendJson(res, 200, body, correlationId ? { 'client-request-id': correlationId } : {});
      } catch (error) {
        if (!(error instanceof AadstsError)) throw error;
        fail(res, error, correlationId);
      }
    };

  const tokenEndpoint = tenantEndpoint((params, req) => {
    // client_secret_basic: Entra ID accepts the client's id and secret in an HTTP Basic header.
    const basic = basicCredentials(req);
    if (basic) {
      if (!params.has('client_id')) params.set('client_id', basic.id);
      params.set('client_secret', basic.secret);
    }
    const grantType = params.get('grant_type') ?? '';
    const grant = GRANTS[grantType];
    return {
      kind: grant?.kind ?? 'other',
      run: async (ctx) => {
        if (!grantType) throw new AadstsError(900144, ['grant_type']);
        if (!grant) throw new AadstsError(70003, [grantType]);
        return grant.run(ctx);
      },
    };
  });

  const deviceCodeEndpoint = tenantEndpoint(() => ({ kind: 'devicecode_request', run: deviceAuthorization }));

  const introspectionEndpoint = async (req: IncomingMessage, res: ServerResponse) => {
    state.count('introspect');
    const params = new URLSearchParams(await readBody(req));
    const required = state.introspection;
    if (required) {
      const basic = basicCredentials(req);
      const [id, secret] = basic
        ? [basic.id, basic.secret]
        : [params.get('client_id'), params.get('client_secret')];
      if (id !== required.clientId || secret !== required.clientSecret) {
        sendJson(
          res,
          401,
          { error: 'invalid_client' },
          { 'www-authenticate': 'Basic realm="introspection"' },
        );
        return;
      }
    } else if (!['127.0.0.1', '::1', '::ffff:127.0.0.1'].includes(req.socket.remoteAddress ?? '')) {
      sendJson(res, 401, { error: 'invalid_client' });
      return;
    }
    const token = params.get('token');
    if (!token) {
      sendJson(res, 400, { error: 'invalid_request', error_description: "Missing 'token'." });
      return;
    }
    sendJson(res, 200, introspect(state, key, token));
  };

  const deviceLogin = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST') return sendHtml(res, 200, DEVICE_LOGIN_FORM);
    const params = new URLSearchParams(await readBody(req));
    const user = state.findUser(params.get('username') ?? '');
    if (!user || user.password !== params.get('password')) {
      return sendHtml(res, 401, `<p>Wrong user name or password.</p>${DEVICE_LOGIN_FORM}`);
    }
    try {
      approveDeviceCode(state, params.get('user_code') ?? '', user.upn);
    } catch (error) {
      return sendHtml(res, 400, `<p>${escapeHtml((error as Error).message)}</p>${DEVICE_LOGIN_FORM}`);
    }
    sendHtml(res, 200, `<p>Signed in as ${escapeHtml(user.upn)}. You may close this window.</p>`);
  };

  const route = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', baseUrl);
    const segments = url.pathname.split('/').filter(Boolean);
    const [first = '', ...rest] = segments;
    const path = rest.join('/');
    const method = req.method ?? 'GET';

    if (method === 'POST' && path === 'oauth2/v2.0/token') return tokenEndpoint(req, res, url, first);
    if (method === 'POST' && path === 'oauth2/v2.0/devicecode')
      return deviceCodeEndpoint(req, res, url, first);
    if (method === 'POST' && url.pathname === '/introspect') return introspectionEndpoint(req, res);
    if (url.pathname === '/devicelogin') return deviceLogin(req, res);
    if (path === 'oauth2/v2.0/authorize') {
      const params = method === 'POST' ? new URLSearchParams(await readBody(req)) : url.searchParams;
      return authorizeEndpoint(res, { state, params, method, tenantSegment: first });
    }
    if (method !== 'GET') return sendJson(res, 405, { error: 'method_not_allowed' });

    state.count('discovery');
    if (path === 'discovery/instance') return sendJson(res, 200, instanceDiscovery(baseUrl));
    if (path === 'discovery/v2.0/keys' || path === 'discovery/keys') return sendJson(res, 200, jwks(key.jwk));
    if (path === 'v2.0/.well-known/openid-configuration') {
      const tenant = state.findTenant(first);
      if (!tenant) return fail(res, new AadstsError(90002, [first]), correlationOf(req, url));
      return sendJson(res, 200, openIdConfiguration(baseUrl, tenant.id));
    }
    sendJson(res, 404, { error: 'not_found', error_description: `No sandbox endpoint at ${url.pathname}.` });
  };

  const server: Server = createServer({ key: options.tls.key, cert: options.tls.cert }, (req, res) => {
    route(req, res).catch((error: unknown) => {
      if (closing.signal.aborted || res.headersSent || req.socket.destroyed) return;
      sendJson(res, 500, { error: 'server_error', error_description: (error as Error).message });
    });
  });
  // A client that fails the TLS handshake must not take the process down.
  server.on('tlsClientError', () => {});

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  baseUrl = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;

  return {
    url: baseUrl,
    port,
    issuer,
    close: () =>
      new Promise<void>((resolve) => {
        closing.abort();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
