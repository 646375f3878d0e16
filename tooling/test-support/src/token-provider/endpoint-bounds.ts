/**
 * What a token provider must survive from a hostile token endpoint — an endless body, a huge
 * Content-Length, endless headers, a body that drips forever, an untrusted certificate, a proxy's
 * HTML error page, malformed JSON — run against a real HTTPS server on 127.0.0.1. Shared by the
 * msal and oauth2 packages (each passes its provider and how its properties point at a URL); a
 * candidate for @kalisto/test-utils, where users' own providers could run it too.
 */
import type { ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { resolveConfig, type TokenError, type TokenProviderDefinition } from '@kalisto/core';
import type { TokenProvider } from '@kalisto/core/plugin';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runChild } from '../child-process.js';
import { startHttpsServer, type TestHttpsServer } from '../https-server.js';
import { recordingLogger } from '../sandbox-config.js';

/** The endless body stops here if the client never hangs up (so that a failing run ends). */
const SAFETY_LIMIT = 256 * 1024 * 1024;
const MiB = 1024 * 1024;
/** Text of the hostile pages that must never reach an error. */
export const PAGE_TEXT = 'PROXY-PAGE-MARKER';

/** The misbehaviours; each is a tenant (`<kind>.test`), so the first path segment of every request. */
type Kind = 'warmup' | 'endless' | 'declared' | 'headers' | 'drip' | 'html502' | 'malformed';

/** What the endless body sent before the client went away. */
export interface Streamed {
  bytes: number;
  aborted: boolean;
}

/** Writes a JSON-looking body forever (with backpressure) until the client goes away. */
function streamForever(res: ServerResponse, streamed: Streamed): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.write('{"access_token":"');
  const chunk = Buffer.alloc(64 * 1024, 'a');
  res.on('close', () => {
    streamed.aborted = !res.writableFinished;
  });
  const pump = (): void => {
    while (!res.destroyed && streamed.bytes < SAFETY_LIMIT) {
      streamed.bytes += chunk.length;
      if (!res.write(chunk)) {
        res.once('drain', pump);
        return;
      }
    }
    if (!res.destroyed) res.end('"}');
  };
  pump();
}

/** Header lines without end: only the client's header limit stops them. */
function endlessHeaders(res: ServerResponse): void {
  const socket = res.socket;
  socket?.write('HTTP/1.1 200 OK\r\n');
  const line = `X-Padding: ${'p'.repeat(1000)}\r\n`;
  const timer = setInterval(() => {
    if (socket?.destroyed !== false) clearInterval(timer);
    else for (let i = 0; i < 64; i++) socket.write(line);
  }, 1);
}

/** The hostile endpoint; each endless body it starts is recorded in `streams`. */
export async function startHostileEndpoint(streams: Streamed[]): Promise<TestHttpsServer> {
  return startHttpsServer((req, res) => {
    const kind = new URL(req.url ?? '/', 'https://x').pathname.split('/')[1]?.replace(/\.test$/, '');
    if (kind === 'endless') {
      const streamed = { bytes: 0, aborted: false };
      streams.push(streamed);
      return streamForever(res, streamed);
    }
    if (kind === 'declared') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(4 * MiB) });
      return res.end(Buffer.alloc(4 * MiB, ' '));
    }
    if (kind === 'headers') return endlessHeaders(res);
    if (kind === 'drip') {
      res.writeHead(200, { 'content-type': 'application/json' });
      const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write(' ')), 20);
      return;
    }
    if (kind === 'html502') {
      res.writeHead(502, { 'content-type': 'text/html' });
      return res.end(`<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1>${PAGE_TEXT}</body></html>`);
    }
    if (kind === 'malformed') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(`{"access_token":"${PAGE_TEXT}","expires_in":`);
    }
    res.writeHead(404).end();
  });
}

export interface BoundsSuiteOptions {
  /** `[absolute module path, export name]` of the provider factory, for the child process. */
  factoryModule: readonly [string, string];
  factory: (options: { noProxy: string }) => TokenProviderDefinition;
  /** The provider's properties sending every request to `url` with tenant `tenant`. */
  properties: (url: string, tenant: string) => Record<string, string>;
  provider: string;
  scopes: string[];
}

/** Registers the suite's tests for one provider. */
export function tokenEndpointBoundsSuite(suite: BoundsSuiteOptions): void {
  const streams: Streamed[] = [];
  const open: TokenProvider[] = [];
  let server: TestHttpsServer;

  beforeAll(async () => {
    server = await startHostileEndpoint(streams);
  });
  afterEach(async () => {
    for (const provider of open.splice(0)) await provider.close?.();
  });
  afterAll(async () => {
    await server?.close();
  });

  /** The properties for `kind`; an empty override removes a property. */
  const properties = (kind: Kind, overrides: Record<string, string> = {}): Record<string, string> => {
    const all: Record<string, string> = {
      ...suite.properties(server.url, `${kind}.test`),
      'kalisto.tls.ca': server.ca,
      ...overrides,
    };
    for (const [name, value] of Object.entries(overrides)) if (value === '') delete all[name];
    return all;
  };

  const failure = async (kind: Kind, overrides: Record<string, string> = {}): Promise<TokenError> => {
    const provider = suite.factory({ noProxy: '' }).create({
      config: resolveConfig(properties(kind, overrides)),
      cache: undefined,
      logger: recordingLogger(),
    });
    open.push(provider);
    const error = await provider.getToken({ scopes: suite.scopes }).then(
      () => undefined,
      (e: unknown) => e as TokenError,
    );
    expect(error?.name).toBe('TokenError');
    expect(error?.provider).toBe(suite.provider);
    return error as TokenError;
  };

  describe(`${suite.provider} provider: the token endpoint's reply is bounded`, () => {
    it('aborts an endless body at the size cap: TOKEN_RESPONSE_TOO_LARGE, memory flat (child process)', async () => {
      const before = streams.length;
      const events = await runChild(
        fileURLToPath(new URL('./endpoint-bounds-child.ts', import.meta.url)),
        {
          KALISTO_TEST_PROVIDER: suite.factoryModule.join('#'),
          // The first run (a 404) warms up TLS and the HTTP stack; the second one is measured.
          KALISTO_TEST_RUNS: JSON.stringify([properties('warmup'), properties('endless')]),
        },
        undefined,
        120_000,
      );
      const measured = events[1];
      expect(measured).toMatchObject({ event: 'error', code: 'TOKEN_RESPONSE_TOO_LARGE', transient: false });
      expect(String(measured?.message)).toMatch(/more than 262144 bytes/);
      expect(measured?.rssGrowthBytes).toBeLessThan(64 * MiB);
      // The client hung up: the server stopped long before its safety limit.
      const streamed = streams[before];
      expect(streamed?.aborted).toBe(true);
      expect(streamed?.bytes).toBeLessThan(SAFETY_LIMIT / 8);
    });

    it('refuses a Content-Length over the cap', async () => {
      expect((await failure('declared')).code).toBe('TOKEN_RESPONSE_TOO_LARGE');
    });

    it('gives up on endless headers with TOKEN_RESPONSE_TOO_LARGE, not a DNS hint', async () => {
      const error = await failure('headers');
      expect(error.code).toBe('TOKEN_RESPONSE_TOO_LARGE');
      expect(error.hint).not.toMatch(/DNS/);
    });

    it('ends a body that drips forever at kalisto.oauth.timeout', async () => {
      const error = await failure('drip', { 'kalisto.oauth.timeout': '1000' });
      expect(error).toMatchObject({ code: 'TOKEN_TIMEOUT', transient: true });
    });
  });

  describe(`${suite.provider} provider: a reply that is not the token endpoint's names its cause`, () => {
    it('an untrusted certificate gives the kalisto.tls.ca hint, not a DNS/proxy one', async () => {
      const error = await failure('html502', { 'kalisto.tls.ca': '' });
      expect(error).toMatchObject({ code: 'TOKEN_TLS_UNTRUSTED', transient: false });
      expect(error.message).toMatch(/certificate is not trusted/);
      expect(error.hint).toContain('kalisto.tls.ca');
      expect(error.hint).toMatch(/TLS inspection/);
      expect(error.hint).not.toMatch(/DNS/);
    });

    it("a proxy's HTML 502 page is a transient server error naming the HTML page, not showing it", async () => {
      const error = await failure('html502');
      expect(error).toMatchObject({ code: 'TOKEN_SERVER_ERROR', status: 502, transient: true });
      expect(error.message).toMatch(/HTML page/);
      expect(`${error.message} ${error.hint} ${JSON.stringify(error)}`).not.toContain(PAGE_TEXT);
    });

    it('malformed JSON is TOKEN_RESPONSE_INVALID naming the malformed JSON, not showing it', async () => {
      const error = await failure('malformed');
      expect(error).toMatchObject({ code: 'TOKEN_RESPONSE_INVALID', status: 200, transient: false });
      expect(error.message).toMatch(/malformed JSON/);
      expect(`${error.message} ${error.hint} ${JSON.stringify(error)}`).not.toContain(PAGE_TEXT);
    });
  });
}
