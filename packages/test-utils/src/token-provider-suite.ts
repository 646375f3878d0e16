import { type AccessToken, isKalistoError } from '@kalisto/core';
import type { TokenProvider, TokenRequest } from '@kalisto/core/plugin';

/** The few matchers the suite uses; vitest's and jest's `expect` both fit. */
export interface TokenProviderSuiteAssertion {
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
  toBeGreaterThan(expected: number): void;
  toContain(expected: unknown): void;
  not: TokenProviderSuiteAssertion;
}

/** The test runner's functions, passed in so that the suite imports no runner itself. */
export interface TokenProviderSuiteRunner {
  describe(name: string, body: () => void): void;
  it(name: string, body: () => Promise<void>, timeoutMs?: number): void;
  expect(actual: unknown): TokenProviderSuiteAssertion;
  /** Needed only with the `setup` option. */
  beforeAll?(body: () => Promise<void>, timeoutMs?: number): void;
  /** Needed only with the `teardown` option. */
  afterAll?(body: () => Promise<void>, timeoutMs?: number): void;
}

/** How to make the provider under test, and what the harness around it can do. */
export interface TokenProviderSuiteOptions {
  /** Names the `describe` block, e.g. `msal (client credentials)`. */
  name: string;
  /** A fresh provider for one test; the suite closes it afterwards. */
  createProvider: () => Promise<TokenProvider> | TokenProvider;
  /** The scopes to ask for; each must come back in the token's `scopes` (ignoring case and OIDC scopes). */
  scopes: readonly string[];
  /** The `user` of each request (delegated flows). */
  user?: string;
  /** The account the token must name (delegated flows), compared ignoring case. */
  expectedAccount?: string;
  /** Values the provider was configured with (client secret, password): no error may contain them. */
  secrets?: readonly string[];
  /**
   * How many token requests the identity platform has answered so far. With it, the suite proves
   * that `forceRefresh` makes a request of its own; without it, only that the forced token is good.
   */
  countRequests?: () => number | Promise<number>;
  /**
   * Make the next token request fail: `permanent` (e.g. an invalid client secret) or `transient`
   * (e.g. a 503). With it, the suite checks the errors the provider throws.
   */
  failNextRequest?: (kind: 'permanent' | 'transient') => void | Promise<void>;
  /** Runs once before the tests (start a server…); needs the runner's `beforeAll`. */
  setup?: () => Promise<void>;
  /** Runs once after the tests; needs the runner's `afterAll`. */
  teardown?: () => Promise<void>;
  /** Concurrent calls in the concurrency test. Default 8. */
  concurrency?: number;
  /** The current time in epoch ms, to judge `expiresAt`. Default `Date.now`. */
  now?: () => number;
  /** Per-test timeout in ms. Default 20,000. */
  timeoutMs?: number;
}

// Scopes the identity platform adds or drops on its own; they say nothing about the access token.
const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email']);

/**
 * The behaviour every Kalisto token provider must have: ours (msal, oauth2) and yours. Call it at
 * the top level of a test file with your runner's functions:
 * `runTokenProviderSuite({ describe, it, expect }, { name: 'mine', createProvider, scopes })`.
 */
export function runTokenProviderSuite(
  runner: TokenProviderSuiteRunner,
  options: TokenProviderSuiteOptions,
): void {
  const { describe, it, expect } = runner;
  const timeout = options.timeoutMs ?? 20_000;
  const now = options.now ?? Date.now;
  const request = (extra: Partial<TokenRequest> = {}): TokenRequest => ({
    scopes: options.scopes,
    ...(options.user === undefined ? {} : { user: options.user }),
    ...extra,
  });

  async function withProvider(body: (provider: TokenProvider) => Promise<void>): Promise<void> {
    const provider = await options.createProvider();
    try {
      await body(provider);
    } finally {
      await provider.close?.();
    }
  }

  const test = (name: string, body: (provider: TokenProvider) => Promise<void>) =>
    it(name, () => withProvider(body), timeout);

  function expectUsable(token: AccessToken): void {
    expect(typeof token.accessToken).toBe('string');
    expect(token.accessToken.length).toBeGreaterThan(0);
    expect(typeof token.expiresAt).toBe('number');
    expect(token.expiresAt).toBeGreaterThan(now());
    expect(Array.isArray(token.scopes)).toBe(true);
    const granted = token.scopes.map((s) => s.toLowerCase());
    for (const scope of options.scopes) {
      if (!OIDC_SCOPES.has(scope.toLowerCase())) expect(granted).toContain(scope.toLowerCase());
    }
    if (options.expectedAccount !== undefined) {
      expect(token.account?.toLowerCase()).toBe(options.expectedAccount.toLowerCase());
    }
  }

  /** Everything of an error a user could see: message, JSON, inspect-ish fields, the cause chain. */
  function visibleText(error: unknown): string {
    const parts: string[] = [];
    for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
      if (e instanceof Error) {
        parts.push(e.message, e.stack ?? '');
        try {
          parts.push(JSON.stringify(e));
        } catch {
          parts.push('[unserialisable]');
        }
        e = e.cause;
      } else {
        parts.push(String(e));
        e = undefined;
      }
    }
    return parts.join('\n');
  }

  describe(`token provider conformance: ${options.name}`, () => {
    if (options.setup) {
      if (!runner.beforeAll)
        throw new Error("runTokenProviderSuite: the setup option needs the runner's beforeAll.");
      runner.beforeAll(options.setup, timeout);
    }
    if (options.teardown) {
      if (!runner.afterAll)
        throw new Error("runTokenProviderSuite: the teardown option needs the runner's afterAll.");
      runner.afterAll(options.teardown, timeout);
    }

    test('has a name', async (provider) => {
      expect(typeof provider.name).toBe('string');
      expect(provider.name.length).toBeGreaterThan(0);
    });

    test('returns a non-empty token for the requested scopes that expires in the future', async (provider) => {
      expectUsable(await provider.getToken(request()));
    });

    test('forceRefresh yields a token from a fresh request', async (provider) => {
      await provider.getToken(request());
      const before = await options.countRequests?.();
      const forced = await provider.getToken(request({ forceRefresh: true }));
      expectUsable(forced);
      if (options.countRequests && before !== undefined) {
        expect((await options.countRequests()) - before).toBeGreaterThan(0);
      }
    });

    test('answers every one of many concurrent calls', async (provider) => {
      const count = options.concurrency ?? 8;
      const tokens = await Promise.all(Array.from({ length: count }, () => provider.getToken(request())));
      expect(tokens.length).toBe(count);
      for (const token of tokens) expectUsable(token);
    });

    if (options.failNextRequest) {
      const failNext = options.failNextRequest;
      for (const kind of ['permanent', 'transient'] as const) {
        test(`a ${kind} failure is a TokenError with a code, transient=${kind === 'transient'}, and no secret`, async (provider) => {
          const good = await provider.getToken(request());
          await failNext(kind);
          let caught: unknown;
          try {
            await provider.getToken(request({ forceRefresh: true }));
          } catch (error) {
            caught = error;
          }
          expect(isKalistoError(caught)).toBe(true);
          const error = caught as { name: string; code: unknown; transient: unknown; message: string };
          expect(error.name).toBe('TokenError');
          expect(typeof error.code).toBe('string');
          expect(String(error.code).length).toBeGreaterThan(0);
          expect(error.transient).toBe(kind === 'transient');
          const text = visibleText(caught);
          expect(text).not.toContain(good.accessToken);
          for (const secret of options.secrets ?? []) expect(text).not.toContain(secret);
        });
      }
    }

    it(
      'close() is optional, and idempotent when present (also when called concurrently)',
      async () => {
        const provider = await options.createProvider();
        await provider.getToken(request());
        expect(['undefined', 'function']).toContain(typeof provider.close);
        if (provider.close === undefined) return;
        await provider.close();
        await provider.close();
        await Promise.all([provider.close(), provider.close()]);
      },
      timeout,
    );
  });
}
