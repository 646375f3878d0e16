/**
 * The sandbox's Microsoft Graph over HTTPS (node:https and the route table): `/v1.0/…` mail
 * endpoints on the shared mail store, and `/api/v2.0/…/AttachmentSessions(…)` upload URLs.
 * Every answer carries `request-id` and `client-request-id`; errors come in Graph's JSON shape,
 * 401s with `WWW-Authenticate`. Bodies over 4 MB are read to the end and refused with 413.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { MailStore } from '../contracts.js';
import type { SigningKey } from '../identity/tokens.js';
import type { SandboxState } from '../state.js';
import type { GraphContext, GraphResponse } from './context.js';
import { DeltaTracker } from './delta.js';
import { DraftStore } from './drafts.js';
import { GRAPH_ERRORS, GRAPH_MAX_REQUEST_BYTES, GraphError, graphErrorBody } from './errors.js';
import { dispatch, pathSegments } from './routes.js';
import { uploadChunk } from './send-handlers.js';

/** Options of `startGraphServer`. */
export interface GraphServerOptions {
  state: SandboxState;
  store: MailStore;
  /** The identity platform's signing key: tokens are checked against it. */
  key: SigningKey;
  tls: { key: string; cert: string };
  /** The identity platform's URL, for `WWW-Authenticate`'s authorization_uri. */
  authority: string;
  /** Default `127.0.0.1`. */
  host?: string;
  /** Default 0 (ephemeral). */
  port?: number;
}

/** A listening Graph server. */
export interface RunningGraphServer {
  /** The API base, `https://HOST:PORT/v1.0` (what `https://graph.microsoft.com/v1.0` is to the real one). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Microsoft Graph's application id, the client_id of its WWW-Authenticate challenge. */
const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

/** Reads the whole body; past `limit` bytes it keeps reading but keeps nothing and reports `tooLarge`. */
function readBody(req: IncomingMessage, limit: number): Promise<{ body: Buffer; tooLarge: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = Number(req.headers['content-length'] ?? 0) > limit;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
    });
    req.on('end', () => resolve({ body: tooLarge ? Buffer.alloc(0) : Buffer.concat(chunks), tooLarge }));
    req.on('error', reject);
  });
}

/** Starts Graph on `host:port` over the shared store. */
export async function startGraphServer(options: GraphServerOptions): Promise<RunningGraphServer> {
  const { state } = options;
  const host = options.host ?? '127.0.0.1';
  let origin = '';
  const context: GraphContext = {
    state,
    store: options.store,
    key: options.key,
    drafts: new DraftStore(state.now),
    delta: new DeltaTracker(),
    origin: () => origin,
  };
  const challenge = `Bearer realm="", authorization_uri="${options.authority}/common/oauth2/authorize", client_id="${GRAPH_APP_ID}"`;

  const answer = (res: ServerResponse, ids: Record<string, string>, response: GraphResponse) => {
    const headers: Record<string, string | number> = {
      'cache-control': 'private',
      ...ids,
      ...response.headers,
    };
    let payload: Buffer | undefined;
    if (response.json !== undefined) {
      payload = Buffer.from(JSON.stringify(response.json), 'utf8');
      headers['content-type'] =
        'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';
    } else if (response.bytes) {
      payload = response.bytes;
      headers['content-type'] = response.contentType ?? 'application/octet-stream';
    }
    headers['content-length'] = payload?.length ?? 0;
    res.writeHead(response.status, headers);
    res.end(payload);
  };

  const fail = (res: ServerResponse, ids: Record<string, string>, error: GraphError) => {
    const body = graphErrorBody(
      error,
      new Date(state.now()),
      ids['request-id'] ?? '',
      ids['client-request-id'] ?? '',
    );
    answer(res, ids, {
      status: error.status,
      json: body,
      headers: { ...error.headers, ...(error.status === 401 ? { 'www-authenticate': challenge } : {}) },
    });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const requestId = randomUUID();
    const clientHeader = req.headers['client-request-id'];
    const ids = {
      'request-id': requestId,
      'client-request-id': typeof clientHeader === 'string' && clientHeader ? clientHeader : requestId,
    };
    try {
      const url = new URL(req.url ?? '/', origin);
      const { body, tooLarge } = await readBody(req, GRAPH_MAX_REQUEST_BYTES);
      const method = req.method ?? 'GET';
      const segments = pathSegments(url.pathname);
      const first = segments[0]?.toLowerCase();
      if (first === 'api' && segments[1]?.toLowerCase() === 'v2.0') {
        state.graph.count('uploadChunk');
        if (tooLarge) throw GRAPH_ERRORS.requestTooLarge();
        const token = url.searchParams.get('authtoken') ?? '';
        answer(res, ids, uploadChunk(context, { method, token, headers: req.headers, body }, url));
        return;
      }
      if (first !== 'v1.0') {
        state.graph.count('other');
        throw GRAPH_ERRORS.badRequest(
          `Invalid version: ${segments[0] ?? '(none)'}. The sandbox serves v1.0.`,
        );
      }
      if (tooLarge) {
        state.graph.count('other');
        throw GRAPH_ERRORS.requestTooLarge();
      }
      answer(res, ids, await dispatch(context, { method, url, headers: req.headers, body }));
    } catch (error) {
      if (error instanceof GraphError) return fail(res, ids, error);
      throw error;
    }
  };

  const server: Server = createServer({ key: options.tls.key, cert: options.tls.cert }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent || req.socket.destroyed) return;
      const requestId = randomUUID();
      fail(
        res,
        { 'request-id': requestId, 'client-request-id': requestId },
        new GraphError(500, 'UnknownError', `The sandbox failed: ${(error as Error).message}`),
      );
    });
  });
  server.on('tlsClientError', () => {});

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  origin = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;

  return {
    url: `${origin}/v1.0`,
    host,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
