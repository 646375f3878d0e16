/**
 * A hostile token endpoint, for both token providers (msal, oauth2): an endless body, an HTML 502
 * page, malformed JSON, a slow-loris body, a huge error description, an error echoing the secret.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sandboxProperties } from '@kalisto/sandbox';
import { json, startHttpsServer } from '@kalisto/test-support';
import { Findings, type Scenario } from '../scenario.js';
import { runClient } from '../support/client-process.js';
import { judgeClientFailure } from '../support/judge.js';

/** Attempts allowed for one `getToken()`: the first and the token manager's two retries. */
const MAX_ATTEMPTS = 3;
const FAKE_SECRET = 'Hst8Q~hostile-endpoint-client-secret-value';
const FAKE_JWT = `eyJhbGciOiJSUzI1NiJ9.${Buffer.from('{"aud":"hostile","upn":"adele"}').toString('base64url')}.c2lnbmF0dXJl`;

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Writes `chunk` forever, as fast as the client reads. */
function endless(res: ServerResponse, first: string, chunk: Buffer): void {
  res.write(first);
  const pump = () => {
    while (!res.destroyed && res.write(chunk));
    if (!res.destroyed) res.once('drain', pump);
  };
  pump();
}

interface TokenCase {
  id: string;
  title: string;
  injected: string;
  handler: Handler;
  /** Only TokenError codes that say what really happened (e.g. not a redactor crash). */
  not?: readonly string[];
}

const PROVIDERS = ['msal', 'oauth2'] as const;

function tokenScenarios(c: TokenCase): Scenario[] {
  return PROVIDERS.map((provider) => ({
    id: `${c.id}-${provider}`,
    title: `Token endpoint (${provider}): ${c.title}`,
    injected: c.injected,
    expected: `\`getToken()\` fails with a Kalisto TokenError within 30 s after at most ${MAX_ATTEMPTS} requests; client RSS < 64 MB over baseline; no secret or token in the error`,
    deadlineMs: 60_000,
    async run(context) {
      let requests = 0;
      const server = await startHttpsServer((req, res) => {
        requests++;
        c.handler(req, res);
      });
      context.defer(() => server.close());
      const properties = {
        ...sandboxProperties({
          authority: server.url,
          tenantId: '0b7a5b6c-7d6e-4f1a-9b2c-3d4e5f6a7b8c',
          clientId: '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f',
          clientSecret: FAKE_SECRET,
          user: 'adele@contoso.example',
          ca: server.ca,
        }),
        'o365.oauth.provider': provider,
        'kalisto.oauth.timeout': '5000',
      };
      const secrets = { clientSecret: FAKE_SECRET };
      const run = await runClient(context, 'token', { properties, secrets }, { deadlineMs: 30_000 });
      const findings = new Findings();
      judgeClientFailure(findings, run, { class: 'TokenError' });
      const error = run.result?.error as { chain?: string[]; kalisto?: { code: string } } | undefined;
      const chain = error?.chain ?? [];
      findings.check(
        !chain.some((name) => name === 'RangeError' || name === 'TypeError'),
        `error chain: ${chain.join(' ← ') || '(none)'}`,
        'a RangeError/TypeError escaped into the error',
      );
      if (c.not && error?.kalisto) {
        findings.check(
          !c.not.includes(error.kalisto.code),
          `code ${error.kalisto.code}`,
          `misleading code ${error.kalisto.code}`,
        );
      }
      findings.check(
        requests <= MAX_ATTEMPTS,
        `${requests} token requests`,
        `${requests} requests (> ${MAX_ATTEMPTS})`,
      );
      return findings.outcome();
    },
  }));
}

const HTML_502 = `<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1>${'<p>upstream error</p>'.repeat(100)}</body></html>`;

export const scenarios: readonly Scenario[] = [
  ...tokenScenarios({
    id: 'endless-body',
    title: 'endless body',
    injected: 'HTTP 200 JSON whose `access_token` string never ends (streamed as fast as read)',
    handler: (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      endless(res, '{"token_type":"Bearer","access_token":"', Buffer.alloc(64 * 1024, 'A'));
    },
  }),
  ...tokenScenarios({
    id: 'html-502',
    title: 'HTML 502 page',
    injected: 'every request answered HTTP 502 with an HTML error page (a proxy in the way)',
    handler: (_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end(HTML_502);
    },
  }),
  ...tokenScenarios({
    id: 'malformed-json',
    title: 'malformed JSON',
    injected: 'HTTP 200 `application/json` with a truncated JSON body',
    handler: (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"token_type":"Bearer","expires_in":3599,"access_token":"abc');
    },
  }),
  ...tokenScenarios({
    id: 'slow-loris',
    title: 'slow-loris body',
    injected: 'HTTP 200 headers, then the body one byte every 500 ms (kalisto.oauth.timeout=5000)',
    handler: (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const body = `{"token_type":"Bearer","expires_in":3599,"access_token":"${'A'.repeat(2_000)}"}`;
      let i = 0;
      const timer = setInterval(
        () => (res.destroyed || i >= body.length ? clearInterval(timer) : res.write(body[i++])),
        500,
      );
    },
  }),
  ...tokenScenarios({
    id: 'huge-error-description',
    title: '9 MB error description',
    injected: 'HTTP 400 `invalid_client` whose `error_description` is 9 MB of text',
    not: ['TOKEN_PROVIDER_FAILED'],
    handler: (_req, res) =>
      json(res, 400, {
        error: 'invalid_client',
        error_description: `AADSTS7000215: ${'x'.repeat(9 * 1024 * 1024)}`,
      }),
  }),
  ...tokenScenarios({
    id: 'echoed-secret',
    title: 'error echoing the secret and a token',
    injected: 'HTTP 401 `invalid_client` whose description quotes the client secret and a JWT',
    handler: (_req, res) =>
      json(res, 401, {
        error: 'invalid_client',
        error_description: `AADSTS7000215: Invalid client secret provided: ${FAKE_SECRET}; token ${FAKE_JWT}`,
      }),
  }),
];
