/**
 * The browser sign-in (authorization code + PKCE, loopback redirect) through real msal-node against
 * the sandbox's /authorize, with Debian's chromium filling the pages; the account and refresh token
 * persist in an encrypted cache file that a second handle (another process) redeems without a prompt.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileCache } from '@kalisto/cache-file';
import { type CacheBackend, createKalisto, type Kalisto } from '@kalisto/core';
import type { Sandbox } from '@kalisto/sandbox';
import { launchChromium, type SandboxSignInSteps, signInWithBrowser } from '@kalisto/test-support';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type MsalTokenProviderOptions, msalTokenProvider, signOutMsal } from '../src/index.js';
import { claimsOf, publicAppProperties, sandboxConfig, startTestSandbox } from './support.js';

let sandbox: Sandbox;
let browser: Browser;
let dir: string;
const instances: Kalisto[] = [];
/** Browser sessions still driving pages: each test waits for its own before the next begins. */
const signIns: Promise<unknown>[] = [];

beforeAll(async () => {
  [sandbox, browser] = await Promise.all([startTestSandbox({ mail: false }), launchChromium()]);
  dir = await mkdtemp(join(tmpdir(), 'kalisto-interactive-'));
}, 60_000);
afterEach(async () => {
  await Promise.allSettled(signIns.splice(0));
  for (const kalisto of instances.splice(0)) await kalisto.close();
  sandbox.hooks.resetRequestCounts();
});
afterAll(async () => {
  await browser?.close();
  await sandbox?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Two handles on one encrypted cache file: this process and the "restarted" one. */
function cacheFilePair(): [CacheBackend, CacheBackend, string] {
  const path = join(dir, `${randomBytes(6).toString('hex')}.json`);
  const encryptionKey = randomBytes(32).toString('hex');
  return [fileCache({ path, encryptionKey }), fileCache({ path, encryptionKey }), path];
}

function session(
  cache: CacheBackend,
  overrides: Record<string, string>,
  options: MsalTokenProviderOptions = {},
) {
  const kalisto = createKalisto({
    tokenProviders: [msalTokenProvider({ noProxy: '', ...options })],
    caches: [cache],
  });
  instances.push(kalisto);
  return kalisto.session(sandboxConfig(sandbox, overrides));
}

/** An openBrowser that drives chromium through the sandbox's pages, recording what it saw. */
function browserUser(steps: SandboxSignInSteps) {
  const seen = { urls: [] as string[], finalPages: [] as string[], browserErrors: [] as unknown[] };
  const openBrowser = async (url: string) => {
    seen.urls.push(url);
    // msal-node waits for the redirect while the browser works; do not hold up openBrowser.
    signIns.push(
      signInWithBrowser(browser, url, steps).then(
        (text) => seen.finalPages.push(text),
        (error: unknown) => seen.browserErrors.push(error),
      ),
    );
  };
  return { openBrowser, seen };
}

describe('msal browser sign-in against the sandbox', () => {
  it('signs in through chromium; a restarted process refreshes from the cache file without a prompt', async () => {
    const { megan } = sandbox.fixtures.users;
    const props = publicAppProperties(sandbox, 'refresh_token', megan.upn);
    const [first, second, path] = cacheFilePair();
    const user = browserUser({ user: megan.upn, password: megan.password });

    const token = await session(first, props, {
      signIn: { method: 'browser', openBrowser: user.openBrowser, always: true },
    }).tokens.getToken();
    expect(user.seen.urls).toHaveLength(1);
    const authorize = new URL(user.seen.urls[0] ?? '');
    expect(authorize.pathname).toBe(`/${sandbox.tenant.id}/oauth2/v2.0/authorize`);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('redirect_uri')).toMatch(/^http:\/\/localhost:\d+$/);
    expect(authorize.searchParams.get('login_hint')).toBe(megan.upn);
    expect(token.account).toBe(megan.upn);
    expect(claimsOf(token.accessToken)).toMatchObject({ upn: megan.upn, scp: 'IMAP.AccessAsUser.All' });
    // The persisted cache is encrypted: no refresh token text in the file.
    const refreshToken = [...sandbox.state.refreshTokens.keys()].at(-1) ?? '';
    expect(refreshToken).not.toBe('');
    expect(await readFile(path, 'utf8')).not.toContain(refreshToken);

    // Another process, the configured flow, no signIn option: the refresh token from the file.
    const again = await session(second, props).tokens.getToken({ forceRefresh: true });
    expect(again.account).toBe(megan.upn);
    expect(again.accessToken).not.toBe(token.accessToken);
    expect(sandbox.hooks.requestCounts()).toMatchObject({ refresh_token: 1, password: 0, device_code: 0 });
    expect(user.seen.urls).toHaveLength(1);
  }, 60_000);

  it('an MFA user enters the one-time code; the token says mfa', async () => {
    const { isaiah } = sandbox.fixtures.users;
    const [cache] = cacheFilePair();
    const user = browserUser({ user: isaiah.upn, password: isaiah.password, otp: '246810' });
    const token = await session(cache, publicAppProperties(sandbox, 'device_code', isaiah.upn), {
      signIn: { method: 'browser', openBrowser: user.openBrowser },
    }).tokens.getToken();
    expect(claimsOf(token.accessToken)).toMatchObject({ upn: isaiah.upn, amr: ['pwd', 'mfa'] });
  }, 60_000);

  it('the user cancels: access_denied (AADSTS65004) as a TokenError, nothing cached', async () => {
    const { adele } = sandbox.fixtures.users;
    const props = publicAppProperties(sandbox, 'refresh_token', adele.upn);
    const [cache, second] = cacheFilePair();
    const user = browserUser({ user: adele.upn, password: adele.password, decision: 'cancel-sign-in' });
    const error = await session(cache, props, {
      signIn: { method: 'browser', openBrowser: user.openBrowser },
    })
      .tokens.getToken()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toMatchObject({ name: 'TokenError', aadsts: '65004' });
    expect(String((error as Error).message)).toMatch(/declined/i);
    const later = await session(second, props)
      .tokens.getToken()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(later).toMatchObject({ code: 'TOKEN_SIGN_IN_REQUIRED' });
  }, 60_000);

  it('nobody finishes the sign-in: a timeout error, and msal-node’s loopback server is released', async () => {
    const { adele } = sandbox.fixtures.users;
    const [cache] = cacheFilePair();
    let opened: string | undefined;
    const error = await session(cache, publicAppProperties(sandbox, 'device_code', adele.upn), {
      signIn: {
        method: 'browser',
        openBrowser: async (url) => {
          opened = url;
        },
        timeoutMs: 200,
      },
    })
      .tokens.getToken()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toMatchObject({ code: 'TOKEN_SIGN_IN_TIMEOUT' });
    const loopback = new URL(opened ?? '').searchParams.get('redirect_uri') ?? '';
    const port = new URL(loopback).port;
    const after = await fetch(`http://127.0.0.1:${port}/`).then(
      () => 'answered',
      () => 'closed',
    );
    expect(after).toBe('closed');
  }, 60_000);

  it('signOutMsal removes the account and refresh token: the next process must sign in', async () => {
    const { megan } = sandbox.fixtures.users;
    const props = publicAppProperties(sandbox, 'refresh_token', megan.upn);
    const [first, second] = cacheFilePair();
    const user = browserUser({ user: megan.upn, password: megan.password });
    await session(first, props, {
      signIn: { method: 'browser', openBrowser: user.openBrowser },
    }).tokens.getToken();
    const config = sandboxConfig(sandbox, props);
    expect(await signOutMsal({ cache: second, oauth: config.oauth, user: megan.upn })).toBe(true);
    const after = await session(second, props)
      .tokens.getToken({ forceRefresh: true })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(after).toMatchObject({ code: 'TOKEN_SIGN_IN_REQUIRED' });
    expect(await signOutMsal({ cache: second, oauth: config.oauth, user: megan.upn })).toBe(false);
  }, 60_000);
});
