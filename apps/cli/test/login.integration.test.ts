/**
 * `kalisto login` end to end: the real CLI (a child process) against the sandbox, Debian's
 * chromium (playwright-core) filling the sandbox's sign-in page, the refresh token in an encrypted
 * cache file; then other CLI processes — `folders`, `token --force` — use it with no prompt.
 */
import { randomBytes } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { launchChromium, type SandboxSignInSteps, signInWithBrowser } from '@kalisto/test-support';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CliRun,
  type CliSandbox,
  expectNoSecrets,
  flat,
  runKalisto,
  startCliSandbox,
} from './helpers.js';

let box: CliSandbox;
let browser: Browser;
let env: Record<string, string>;
let openedFile: string;

beforeAll(async () => {
  [box, browser] = await Promise.all([startCliSandbox(), launchChromium()]);
  openedFile = join(box.dir, 'opened-url');
  const browserScript = join(box.dir, 'browser.sh');
  // The "system browser" of the CLI ($BROWSER): records the URL it was asked to open; the test's
  // chromium does the signing in from the URL the CLI prints (as a person on a remote shell would).
  await writeFile(browserScript, `#!/bin/sh\nprintf '%s' "$1" > '${openedFile}'\n`);
  await chmod(browserScript, 0o755);
  env = {
    BROWSER: browserScript,
    KALISTO_CACHE_FILE: join(box.dir, 'tokens.json'),
    KALISTO_CACHE_KEY: randomBytes(32).toString('hex'),
  };
}, 60_000);
afterAll(async () => {
  await Promise.allSettled(signIns);
  await browser?.close();
  await box?.stop();
});

/** The delegated configuration of the sandbox's public app for `upn`, tokens in the file cache. */
function defines(upn: string, cache = 'file'): string[] {
  return Object.entries({
    'o365.oauth.flow': 'refresh_token',
    'o365.oauth.clientId': box.sandbox.fixtures.publicApp.clientId,
    'o365.oauth.clientSecret': '',
    'o365.oauth.scope': 'https://outlook.office.com/.default',
    'o365.user': upn,
    'websphere.cache': cache,
  }).flatMap(([k, v]) => ['-D', `${k}=${v}`]);
}

const kalisto = (upn: string, args: string[], options: Parameters<typeof runKalisto>[1] = {}) =>
  runKalisto([...box.config, ...defines(upn), ...args], { ...options, env: { ...env, ...options.env } });

/** Browser sessions started by logins; a page closed under one is that test's failure to sign in, not an unhandled rejection. */
const signIns: Promise<unknown>[] = [];

/** `kalisto login` whose printed sign-in URL the test's chromium follows with `steps`. */
function browserLogin(upn: string, steps: SandboxSignInSteps, extra: string[] = []) {
  let started = false;
  return kalisto(upn, ['login', ...extra], {
    onOutput: (run) => {
      const url = /https:\/\/127\.0\.0\.1:\d+\/\S+\/oauth2\/v2\.0\/authorize\?\S+/.exec(run.stderr)?.[0];
      if (url === undefined || started) return;
      started = true;
      signIns.push(signInWithBrowser(browser, url, steps).catch((error: unknown) => error));
    },
  });
}

/** Every refresh token the sandbox issued: none may be printed. */
const refreshTokens = () => [...box.sandbox.state.refreshTokens.keys()];

function expectClean(...runs: CliRun[]) {
  for (const run of runs) {
    expectNoSecrets(run, [...box.secrets, ...refreshTokens()]);
    expect(run.stdout + run.stderr).not.toMatch(/SBXAC|refresh_token"?\s*[:=]/);
  }
}

/** Waits (bounded: it only fails on a hang) for the $BROWSER script's record. */
async function openedUrl(): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const text = await readFile(openedFile, 'utf8').catch(() => '');
    if (text !== '') return text;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('$BROWSER was never run');
}

describe('kalisto login', () => {
  it('browser: signs in, then folders and a restarted token --force use the cached refresh token, no prompt', async () => {
    const { megan } = box.sandbox.fixtures.users;
    box.sandbox.hooks.resetRequestCounts();
    const login = await browserLogin(megan.upn, { user: megan.upn, password: megan.password });
    expect(login.code, login.stderr).toBe(0);
    expect(flat(login.stdout)).toContain(`✓ Signed in as ${megan.upn}`);
    expect(flat(login.stdout)).toContain('the refresh token is in the file cache');
    const printed = /https:\/\/127\.0\.0\.1:\d+\/\S+authorize\?\S+/.exec(login.stderr)?.[0];
    expect(await openedUrl()).toBe(printed);

    const folders = await kalisto(megan.upn, ['folders']);
    expect(folders.code, folders.stderr).toBe(0);
    expect(folders.stdout).toContain('INBOX');
    expect(folders.stderr).not.toContain('sign in');

    // A new process that must ask the identity platform: MSAL's refresh token from the file.
    const before = box.sandbox.hooks.requestCounts().refresh_token;
    const token = await kalisto(megan.upn, ['token', '--force', '--json']);
    expect(token.code, token.stderr).toBe(0);
    expect(JSON.parse(token.stdout)).toMatchObject({ account: megan.upn });
    expect(box.sandbox.hooks.requestCounts().refresh_token).toBe(before + 1);
    expect(box.sandbox.hooks.requestCounts()).toMatchObject({ password: 0, device_code: 0 });
    expectClean(login, folders, token);

    // logout: the account and refresh token leave the cache; the next process must sign in (exit 3).
    const logout = await kalisto(megan.upn, ['logout']);
    expect(logout.code, logout.stderr).toBe(0);
    expect(flat(logout.stdout)).toContain(
      `Signed out: the account and refresh token of ${megan.upn} are gone`,
    );
    const after = await kalisto(megan.upn, ['token', '--force']);
    expect(after.code).toBe(3);
    expect(flat(after.stderr)).toMatch(/sign in/i);
    expectClean(logout, after);
  }, 120_000);

  it('--device-code: the code the CLI prints, approved at the sandbox, then folders with no prompt', async () => {
    const { adele } = box.sandbox.fixtures.users;
    let approved = false;
    const login = await kalisto(adele.upn, ['login', '--device-code'], {
      onOutput: (run) => {
        const code = /enter the code (\w+)/.exec(run.stderr)?.[1];
        if (code === undefined || approved) return;
        approved = true;
        box.sandbox.hooks.approveDeviceCode(code, adele.upn);
      },
    });
    expect(login.code, login.stderr).toBe(0);
    expect(flat(login.stdout)).toContain(`✓ Signed in as ${adele.upn}`);
    const folders = await kalisto(adele.upn, ['folders']);
    expect(folders.code, folders.stderr).toBe(0);
    expect(folders.stdout).toContain('INBOX');
    expectClean(login, folders);
  }, 120_000);

  it('the user cancels on the sign-in page: a clear error, exit 3', async () => {
    const { alex } = box.sandbox.fixtures.users;
    const login = await browserLogin(alex.upn, {
      user: alex.upn,
      password: alex.password,
      decision: 'cancel-sign-in',
    });
    expect(login.code).toBe(3);
    expect(flat(login.stderr)).toMatch(/AADSTS65004/);
    expect(flat(login.stderr)).toMatch(/declined/i);
    expectClean(login);
  }, 120_000);

  it('refuses a cache that ends with the command (the memory cache): exit 2 naming websphere.cache', async () => {
    const { adele } = box.sandbox.fixtures.users;
    const run = await runKalisto([...box.config, ...defines(adele.upn, 'memory'), 'login', '--no-browser'], {
      env,
    });
    expect(run.code).toBe(2);
    expect(flat(run.stderr)).toContain('websphere.cache');
  });
});
