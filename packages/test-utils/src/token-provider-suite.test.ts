import { type AccessToken, TokenError } from '@kalisto/core';
import type { TokenProvider, TokenRequest } from '@kalisto/core/plugin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTokenProviderSuite, type TokenProviderSuiteOptions } from './token-provider-suite.js';

const SECRET = 'suite-client-secret-9fQ~x';
const SCOPES = ['https://outlook.office365.com/.default'];

/** An identity platform with no I/O: counts requests and can be told to fail the next one. */
function fakeIdentityPlatform() {
  let requests = 0;
  let failNext: 'permanent' | 'transient' | undefined;
  return {
    requests: () => requests,
    failNext: (kind: 'permanent' | 'transient') => {
      failNext = kind;
    },
    async issue(request: TokenRequest): Promise<AccessToken> {
      requests++;
      const failure = failNext;
      failNext = undefined;
      if (failure === 'permanent') {
        throw new TokenError('[token:in-memory] AADSTS7000215: Invalid client secret provided.', {
          code: 'TOKEN_INVALID_CLIENT_SECRET',
          aadsts: '7000215',
        });
      }
      if (failure === 'transient') {
        throw new TokenError('[token:in-memory] The identity platform answered 503.', {
          code: 'TOKEN_SERVICE_UNAVAILABLE',
          transient: true,
          status: 503,
        });
      }
      return {
        accessToken: `access-${requests}-${Math.random().toString(36).slice(2)}`,
        expiresAt: Date.now() + 3_600_000,
        scopes: [...request.scopes],
        ...(request.user === undefined ? {} : { account: request.user }),
      };
    },
  };
}

/** A provider that caches its token like MSAL does, and goes to the platform on forceRefresh. */
function inMemoryProvider(platform: ReturnType<typeof fakeIdentityPlatform>): TokenProvider {
  let cached: AccessToken | undefined;
  let closed = false;
  return {
    name: 'in-memory',
    async getToken(request) {
      if (closed) throw new TokenError('[token:in-memory] closed', { code: 'TOKEN_PROVIDER_CLOSED' });
      if (!request.forceRefresh && cached && cached.expiresAt > Date.now()) return cached;
      cached = await platform.issue(request);
      return cached;
    },
    async close() {
      closed = true;
    },
  };
}

const platform = fakeIdentityPlatform();
const lifecycle: string[] = [];

runTokenProviderSuite(
  { describe, it, expect, beforeAll, afterAll },
  {
    name: 'in-memory',
    createProvider: () => inMemoryProvider(platform),
    scopes: SCOPES,
    user: 'Someone@Contoso.example',
    expectedAccount: 'someone@contoso.example',
    secrets: [SECRET],
    countRequests: platform.requests,
    failNextRequest: platform.failNext,
    setup: async () => void lifecycle.push('setup'),
    teardown: async () => void lifecycle.push('teardown'),
  },
);

describe('runTokenProviderSuite itself', () => {
  it('ran setup and teardown once around its own tests', () => {
    expect(lifecycle).toEqual(['setup', 'teardown']);
  });

  /** Runs the suite's tests against `provider` with a stand-in runner; returns the names of the failing ones. */
  async function failingTests(
    provider: () => TokenProvider,
    extra: Partial<TokenProviderSuiteOptions> = {},
  ): Promise<string[]> {
    const tests: { name: string; body: () => Promise<void> }[] = [];
    runTokenProviderSuite(
      { describe: (_name, body) => body(), it: (name, body) => void tests.push({ name, body }), expect },
      { name: 'probe', createProvider: provider, scopes: SCOPES, ...extra },
    );
    const failed: string[] = [];
    for (const test of tests) await test.body().catch(() => failed.push(test.name));
    return failed;
  }

  it('fails a provider that hands out expired tokens', async () => {
    const stale: TokenProvider = {
      name: 'stale',
      getToken: async (r) => ({ accessToken: 'old', expiresAt: Date.now() - 1, scopes: [...r.scopes] }),
    };
    expect(await failingTests(() => stale)).toEqual([
      'returns a non-empty token for the requested scopes that expires in the future',
      'forceRefresh yields a token from a fresh request',
      'answers every one of many concurrent calls',
    ]);
  });

  it('fails a provider that ignores forceRefresh, or leaks a secret in its errors', async () => {
    const leaky = fakeIdentityPlatform();
    let cached: AccessToken | undefined;
    const provider: TokenProvider = {
      name: 'leaky',
      async getToken(request) {
        try {
          cached ??= await leaky.issue(request);
          return cached;
        } catch {
          throw new TokenError(`failed with client_secret ${SECRET}`, { code: 'TOKEN_X', transient: true });
        }
      },
    };
    const failed = await failingTests(() => provider, {
      secrets: [SECRET],
      countRequests: leaky.requests,
      failNextRequest: (kind) => {
        cached = undefined;
        leaky.failNext(kind);
      },
    });
    expect(failed).toEqual([
      'forceRefresh yields a token from a fresh request',
      'a permanent failure is a TokenError with a code, transient=false, and no secret',
      'a transient failure is a TokenError with a code, transient=true, and no secret',
    ]);
  });

  it('passes a provider without close()', async () => {
    const plain = fakeIdentityPlatform();
    expect(await failingTests(() => ({ name: 'plain', getToken: (r) => plain.issue(r) }))).toEqual([]);
  });
});
