/**
 * One HTTP client for Microsoft Graph per opened store or transport: the session's Graph token on
 * every request (held until the token manager's refresh point), one retry with a forced fresh token
 * after a 401, bounded retries after 429/503 (Retry-After honoured within `mail.graph.retryBudget`),
 * at most `mail.graph.maxConcurrency` requests in flight, bounded replies, and every failure a
 * Kalisto error. The HTTP itself is core's undici agent: the CA and proxy of the token providers.
 */
import { type AccessToken, ConnectionError, type KalistoSession, type Logger } from '@kalisto/core';
import {
  abortableSleep,
  createHttpAgent,
  createRedactor,
  type HttpAgent,
  type HttpResponse,
  scrubTokenLike,
  telemetryOf,
} from '@kalisto/core/plugin';
import type { GraphOperation } from './graph-claims.js';
import { type GraphErrorContext, graphError, parseGraphFailure } from './graph-errors.js';
import { InFlightLimiter } from './in-flight-limiter.js';
import type { GraphOptions } from './options.js';
import { parseRetryAfter, retryDecision } from './retry-policy.js';

/**
 * What a Graph call does, as its telemetry names it (`kalisto.mail.command`): never its URL, which
 * carries mailbox and message ids, and for an upload a pre-authenticated secret.
 */
export type GraphCallName =
  | 'getFolder'
  | 'listFolders'
  | 'listMessages'
  | 'getMessage'
  | 'getMime'
  | 'moveMessage'
  | 'deleteMessage'
  | 'updateMessage'
  | 'delta'
  | 'sendMail'
  | 'createDraft'
  | 'addAttachment'
  | 'createUploadSession'
  | 'uploadRange'
  | 'sendDraft';

/** One Graph request. */
export interface GraphRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** A path under `/v1.0` (`/users/…/messages`) or a link Graph returned (nextLink, deltaLink, uploadUrl). */
  url: string;
  /** What the request does, for the permission a refusal names. */
  operation: GraphOperation;
  /** The call's name in telemetry (`kalisto.mail.command`). */
  name: GraphCallName;
  /** A JSON body (sent as application/json). */
  json?: unknown;
  /** A raw body, with its content type. */
  body?: { data: string | Uint8Array; contentType: string } | undefined;
  headers?: Record<string, string> | undefined;
  /** Largest reply read, bytes; default `mail.graph.maxResponseBytes`. */
  maxResponseBytes?: number | undefined;
  /** Safe to send twice (default: every method but POST). A POST is repeated only after 429/503. */
  idempotent?: boolean | undefined;
  /** No Authorization header: an upload session's URL is pre-authenticated (and never shown). */
  preAuthenticated?: boolean | undefined;
  /** The From of a send, for a Send As refusal. */
  from?: string | undefined;
  signal?: AbortSignal | undefined;
}

/** A page of a Graph collection. */
export interface GraphPage<T> {
  value: T[];
  nextLink?: string | undefined;
  deltaLink?: string | undefined;
}

/** Local failures (no Graph reply), first match wins. */
const LOCAL_FAILURES: readonly {
  code: string;
  matches: (error: { name?: unknown; code?: unknown; message?: unknown }) => boolean;
  transient: boolean;
  what: string;
  hint: string;
}[] = [
  {
    code: 'GRAPH_RESPONSE_TOO_LARGE',
    matches: (e) => e.code === 'ERR_RESPONSE_TOO_LARGE',
    transient: false,
    what: 'the reply is larger than allowed',
    hint: 'Raise mail.graph.maxMessageBytes (a message source) or mail.graph.maxResponseBytes (listings), or ask for smaller pages.',
  },
  {
    code: 'GRAPH_TIMEOUT',
    matches: (e) => e.name === 'TimeoutError' || /TIMEOUT/.test(String(e.code)),
    transient: true,
    what: 'Microsoft Graph did not answer in time',
    hint: 'Check the network path to Graph, or raise mail.graph.timeout.',
  },
  {
    code: 'GRAPH_TLS_FAILED',
    matches: (e) => /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ALTNAME/i.test(`${e.code} ${e.message}`),
    transient: false,
    what: 'the TLS handshake failed',
    hint: 'Check that the server certificate is trusted (kalisto.tls.ca) and names mail.graph.host.',
  },
  {
    code: 'GRAPH_CONNECT_FAILED',
    matches: () => true,
    transient: true,
    what: 'the connection failed',
    hint: 'Check mail.graph.host, mail.graph.port, the proxy (mail.graph.proxy.url, kalisto.oauth.proxy, HTTPS_PROXY) and that Graph is reachable.',
  },
];

/** The Graph client of one store or transport. `close()` ends its connections. */
export class GraphClient {
  readonly options: GraphOptions;
  readonly #session: KalistoSession;
  readonly #logger: Logger;
  readonly #agent: HttpAgent;
  readonly #origin: string;
  readonly #limiter: InFlightLimiter;
  /** Log every request (debug) only with `mail.debug`, as the other protocols do. */
  readonly #debug: boolean;
  /** `kalisto.token.refreshSkew`: a held token is asked for again this long before it expires. */
  readonly #skewMs: number;
  /** The token used until `until` (epoch ms) without asking the token manager. */
  #held: { token: AccessToken; until: number } | undefined;
  #refreshing: Promise<AccessToken> | undefined;
  #closed = false;

  constructor(session: KalistoSession, options: GraphOptions, logger: Logger) {
    this.#session = session;
    this.options = options;
    this.#logger = logger;
    this.#origin = new URL(options.baseUrl).origin;
    this.#limiter = new InFlightLimiter(options.maxConcurrency);
    this.#debug = session.config?.debug === true;
    this.#skewMs = session.config?.oauth?.refreshSkewMs ?? 0;
    this.#agent = createHttpAgent({
      ca: options.ca,
      proxy: options.proxy,
      timeoutMs: options.timeoutMs,
      maxResponseBytes: options.maxResponseBytes,
    });
  }

  /** `/users/{mailbox}` + `suffix`. */
  mailboxPath(suffix: string): string {
    return `/users/${encodeURIComponent(this.options.mailbox)}${suffix}`;
  }

  /** The session's telemetry recorder (the no-op one for a session built by hand). */
  get telemetry() {
    return telemetryOf({ session: this.#session });
  }

  /** A Graph token for `mail.graph.scope` (session memory, shared cache, single flight). */
  token(signal?: AbortSignal): Promise<AccessToken> {
    return this.#session.tokens.getToken({ scopes: this.options.scopes, ...(signal && { signal }) });
  }

  /**
   * The token of a request: the one held, until `expiresAt` minus the refresh skew (when the token
   * manager would refresh it); then the manager's. A token already inside that window (a refresh
   * that failed, a short-lived token) is not held: each request asks again.
   */
  #requestToken(signal: AbortSignal | undefined): AccessToken | Promise<AccessToken> {
    const held = this.#held;
    if (held !== undefined && Date.now() < held.until) return held.token;
    return this.token(signal).then((token) => this.#hold(token));
  }

  #hold(token: AccessToken): AccessToken {
    const until = token.expiresAt - this.#skewMs;
    this.#held = until > Date.now() ? { token, until } : undefined;
    return token;
  }

  /** Sends one request; resolves with a reply below 400, rejects with a Kalisto error. */
  async send(request: GraphRequest): Promise<HttpResponse> {
    if (this.#closed) throw closedError();
    const url = this.#resolve(request);
    const label = () =>
      `${request.method} ${request.preAuthenticated ? '<upload session>' : url.pathname.replace(/^\/v1\.0/, '')}`;
    const idempotent = request.idempotent ?? request.method !== 'POST';
    const { signal } = request;
    let token = request.preAuthenticated ? undefined : await this.#requestToken(signal);
    let refreshed = false;
    let retries = 0;
    let waitedMs = 0;
    const telemetry = this.telemetry;
    for (;;) {
      let response: HttpResponse | undefined;
      let failure: unknown;
      const started = telemetry.enabled ? performance.now() : 0;
      const record = (error?: unknown) =>
        telemetry.mailCommand('graph', request.name, (performance.now() - started) / 1000, error);
      try {
        response = await this.#attempt(url, request, token);
      } catch (error) {
        if (signal?.aborted) {
          if (telemetry.enabled) record(signal.reason);
          throw signal.reason;
        }
        if ((error as { code?: unknown }).code === 'GRAPH_CLOSED') throw error;
        if ((error as { code?: unknown }).code === 'ERR_RESPONSE_TOO_LARGE') {
          const tooLarge = this.#localError(error, label(), token);
          if (telemetry.enabled) record(tooLarge);
          throw tooLarge;
        }
        failure = error;
      }
      // One point per HTTP exchange: a 429 retried then answered is a failure and a success.
      if (telemetry.enabled) {
        record(
          response !== undefined && response.status < 400
            ? undefined
            : this.#failureOf(request, response, failure, label(), token),
        );
      }
      if (this.#debug)
        this.#logger.debug(
          { method: request.method, request: label(), status: response?.status, retries },
          'Graph request',
        );
      if (response !== undefined && response.status < 400) return response;
      if (response?.status === 401 && token !== undefined && !refreshed) {
        refreshed = true;
        this.#logger.info({ request: label() }, 'Graph refused the token; retrying once with a fresh one');
        telemetry.mailReconnect('graph', 'token');
        token = await this.#freshToken(token, signal);
        continue;
      }
      const retryAfterMs = parseRetryAfter(response?.headers['retry-after'], Date.now());
      const decision = retryDecision({
        status: response?.status,
        networkError: failure !== undefined,
        idempotent,
        retryAfterMs,
        retries,
        waitedMs,
        maxRetries: this.options.maxRetries,
        budgetMs: this.options.retryBudgetMs,
      });
      if (decision.retry) {
        this.#logger.info(
          { request: label(), status: response?.status, delayMs: decision.delayMs, retry: retries + 1 },
          'Graph request failed; retrying',
        );
        await abortableSleep(decision.delayMs, signal);
        waitedMs += decision.delayMs;
        retries++;
        if (token !== undefined) token = await this.#requestToken(signal);
        continue;
      }
      if (response === undefined) throw this.#localError(failure, label(), token);
      const parsed = parseGraphFailure(response.status, response.headers, response.text, retryAfterMs);
      throw graphError(parsed, this.#context(request, label(), token));
    }
  }

  /** The Kalisto error a failed exchange stands for (for its telemetry; thrown only if not retried). */
  #failureOf(
    request: GraphRequest,
    response: HttpResponse | undefined,
    failure: unknown,
    label: string,
    token: AccessToken | undefined,
  ): unknown {
    if (response === undefined) return this.#localError(failure, label, token);
    const retryAfterMs = parseRetryAfter(response.headers['retry-after'], Date.now());
    const parsed = parseGraphFailure(response.status, response.headers, response.text, retryAfterMs);
    return graphError(parsed, this.#context(request, label, token));
  }

  /**
   * One HTTP exchange within one `mail.graph.timeout`: the wait for a free slot (at most
   * `mail.graph.maxConcurrency` in flight) and the request itself, reply read whole.
   */
  async #attempt(url: URL, request: GraphRequest, token: AccessToken | undefined): Promise<HttpResponse> {
    const { timeoutMs } = this.options;
    let remainingMs = timeoutMs;
    if (!this.#limiter.tryAcquire()) {
      const started = Date.now();
      await this.#limiter.acquire(timeoutMs, queueTimeout, request.signal);
      if (this.#closed) {
        this.#limiter.release();
        throw closedError();
      }
      remainingMs = Math.max(1, timeoutMs - (Date.now() - started));
    }
    try {
      return await this.#agent.request(url.href, {
        method: request.method,
        headers: headersOf(request, token),
        body: request.json === undefined ? request.body?.data : JSON.stringify(request.json),
        signal: request.signal,
        maxResponseBytes: request.maxResponseBytes,
        timeoutMs: remainingMs,
      });
    } finally {
      this.#limiter.release();
    }
  }

  /** Sends one request and parses its JSON reply (an empty reply is `undefined`). */
  async json<T>(request: GraphRequest): Promise<T> {
    const response = await this.send({
      ...request,
      headers: { accept: 'application/json', ...request.headers },
    });
    if (response.body.length === 0) return undefined as T;
    try {
      return JSON.parse(response.text) as T;
    } catch (error) {
      throw new ConnectionError(
        `[protocol:graph] ${request.method} ${new URL(this.#resolve(request)).pathname}: the reply is not JSON. Check that mail.graph.host is Microsoft Graph (a proxy may have answered).`,
        {
          code: 'GRAPH_BAD_REPLY',
          hint: 'Check that mail.graph.host is Microsoft Graph (a proxy may have answered).',
          protocol: 'graph',
          host: this.options.host,
          port: this.options.port,
          transient: false,
          cause: error,
        },
      );
    }
  }

  /** One page of a collection: its items and the next or delta link. */
  async page<T>(request: GraphRequest): Promise<GraphPage<T>> {
    const reply = await this.json<{ value?: T[]; '@odata.nextLink'?: string; '@odata.deltaLink'?: string }>(
      request,
    );
    return {
      value: Array.isArray(reply?.value) ? reply.value : [],
      nextLink: reply?.['@odata.nextLink'],
      deltaLink: reply?.['@odata.deltaLink'],
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#limiter.rejectWaiting(closedError());
    await this.#agent.close();
  }

  /**
   * The request's URL. A link from Graph (nextLink, deltaLink) must stay on Graph's origin: the
   * token goes with it. An upload URL is pre-authenticated and gets no token, so it may point
   * elsewhere (Exchange's own host, in Microsoft 365).
   */
  #resolve(request: GraphRequest): URL {
    const url = /^https?:\/\//i.test(request.url)
      ? new URL(request.url)
      : new URL(`${this.options.baseUrl}${request.url}`);
    if (url.protocol !== 'https:' || (!request.preAuthenticated && url.origin !== this.#origin)) {
      throw new ConnectionError(
        `[protocol:graph] Graph returned a link to ${url.protocol}//${url.host}, not to ${this.#origin}: not followed (the token would go with it).`,
        {
          code: 'GRAPH_BAD_LINK',
          hint: 'Check that mail.graph.host is the Graph host the links point to.',
          protocol: 'graph',
          host: this.options.host,
          port: this.options.port,
          transient: false,
        },
      );
    }
    return url;
  }

  /**
   * A fresh token after a 401, shared by concurrent requests: if another request already replaced
   * the refused token, that one is used; else the token is forgotten and one refresh is forced.
   */
  #freshToken(refused: AccessToken, signal: AbortSignal | undefined): Promise<AccessToken> {
    this.#refreshing ??= (async () => {
      const request = { scopes: this.options.scopes, ...(signal && { signal }) };
      try {
        this.#held = undefined;
        const current = await this.#session.tokens.getToken(request);
        if (current.accessToken !== refused.accessToken) return this.#hold(current);
        await this.#session.tokens.invalidate(request);
        return this.#hold(await this.#session.tokens.getToken({ ...request, forceRefresh: true }));
      } finally {
        this.#refreshing = undefined;
      }
    })();
    return this.#refreshing;
  }

  #context(request: GraphRequest, label: string, token: AccessToken | undefined): GraphErrorContext {
    return {
      operation: request.operation,
      request: label,
      mailbox: this.options.mailbox,
      host: this.options.host,
      port: this.options.port,
      cloud: this.options.cloud,
      appOnly: this.options.appOnly,
      accessToken: token?.accessToken,
      from: request.from,
    };
  }

  #localError(error: unknown, label: string, token: AccessToken | undefined): ConnectionError {
    const failure = (typeof error === 'object' && error !== null ? error : { message: error }) as {
      name?: unknown;
      code?: unknown;
      message?: unknown;
    };
    const rule = LOCAL_FAILURES.find((r) => r.matches(failure)) ?? LOCAL_FAILURES.at(-1)!;
    const detail = createRedactor([token?.accessToken]).text(
      scrubTokenLike(String(failure.message ?? failure.code)),
    );
    const { host, port } = this.options;
    return new ConnectionError(
      `[protocol:graph] ${host}:${port}: ${rule.what} (${label}: ${detail}). ${rule.hint}`,
      {
        code: rule.code,
        hint: rule.hint,
        protocol: 'graph',
        host,
        port,
        transient: rule.transient,
        cause: error instanceof Error ? scrubbed(error, token) : undefined,
      },
    );
  }
}

function headersOf(request: GraphRequest, token: AccessToken | undefined): Record<string, string> {
  return {
    ...(token === undefined ? {} : { authorization: `Bearer ${token.accessToken}` }),
    ...(request.json !== undefined ? { 'content-type': 'application/json' } : {}),
    ...(request.body !== undefined ? { 'content-type': request.body.contentType } : {}),
    ...request.headers,
  };
}

/** The transport error without anything token-like in its message (it travels as `cause`). */
function scrubbed(error: Error, token: AccessToken | undefined): Error {
  const text = createRedactor([token?.accessToken]).text(scrubTokenLike(error.message));
  if (text === error.message) return error;
  const copy = new Error(text);
  copy.name = error.name;
  return copy;
}

/** A request that waited its whole deadline for a free slot: the same as no answer in time. */
function queueTimeout(): Error {
  return new DOMException(
    'No request slot came free within mail.graph.timeout (mail.graph.maxConcurrency in flight).',
    'TimeoutError',
  );
}

function closedError(): ConnectionError {
  return new ConnectionError(
    '[protocol:graph] This Graph client is closed; open a new one from the session.',
    {
      code: 'GRAPH_CLOSED',
      hint: "Open a new one with session.store('graph') or session.transport('graph').",
      protocol: 'graph',
      transient: false,
    },
  );
}
