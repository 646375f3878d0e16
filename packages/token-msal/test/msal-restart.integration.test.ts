import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sandbox } from '@kalisto/sandbox';
import { runChild } from '@kalisto/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMAP_SCOPE, startTestSandbox } from './support.js';

let sandbox: Sandbox;
let dir: string;

beforeAll(async () => {
  sandbox = await startTestSandbox({ mail: false });
  dir = await mkdtemp(join(tmpdir(), 'kalisto-msal-restart-'));
});
afterAll(async () => {
  await sandbox?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('msal refresh tokens persisted in a shared encrypted file cache', () => {
  it('a second process refreshes without a new sign-in; after revocation it is told to sign in again', async () => {
    const { adele } = sandbox.fixtures.users;
    const cachePath = join(dir, 'tokens.json');
    const key = randomBytes(32).toString('hex');
    const script = fileURLToPath(new URL('./fixtures/token-child.ts', import.meta.url));
    // The public desktop app as adele; the sandbox's mail and client secret properties are not needed.
    const base = Object.fromEntries(
      Object.entries(sandbox.properties).filter(
        ([name]) => !name.startsWith('mail.') && name !== 'o365.oauth.clientSecret',
      ),
    );
    const properties = (flow: string) => ({
      ...base,
      'o365.oauth.clientId': sandbox.fixtures.publicApp.clientId,
      'o365.oauth.scope': IMAP_SCOPE,
      'o365.oauth.flow': flow,
      'o365.user': adele.upn,
    });
    const env = (flow: string, forceRefresh = false) => ({
      KALISTO_TEST_PROPERTIES: JSON.stringify(properties(flow)),
      KALISTO_TEST_CACHE_PATH: cachePath,
      KALISTO_TEST_CACHE_KEY: key,
      KALISTO_TEST_FORCE_REFRESH: forceRefresh ? '1' : '0',
    });

    // Process 1 signs in with a device code, which the "user" approves at the sandbox.
    const first = await runChild(script, env('device_code'), (event) => {
      if (event.event === 'device_code') sandbox.hooks.approveDeviceCode(String(event.userCode), adele.upn);
    });
    expect(first.map((e) => e.event)).toEqual(['device_code', 'token']);
    expect(first[1]).toMatchObject({ account: adele.upn });
    expect(sandbox.hooks.requestCounts()).toMatchObject({
      devicecode_request: 1,
      device_code: 1,
      refresh_token: 0,
    });
    // The refresh token is in the file, encrypted: no token text is readable there.
    const refreshToken = [...sandbox.state.refreshTokens.keys()].at(-1) ?? '';
    expect(await readFile(cachePath, 'utf8')).not.toContain(refreshToken);

    // Process 2 (a restart, or another node) redeems the persisted refresh token: no sign-in.
    const second = await runChild(script, env('refresh_token', true));
    expect(second).toEqual([expect.objectContaining({ event: 'token', account: adele.upn })]);
    expect(sandbox.hooks.requestCounts()).toMatchObject({
      devicecode_request: 1,
      device_code: 1,
      password: 0,
      refresh_token: 1,
    });

    // Process 3 uses the rotated refresh token process 2 wrote back.
    await runChild(script, env('refresh_token', true));
    expect(sandbox.hooks.requestCounts().refresh_token).toBe(2);

    // Signed out everywhere (revokeSignInSessions): the next process is told to sign in again.
    sandbox.hooks.revokeUser(adele.upn);
    const fourth = await runChild(script, env('refresh_token', true));
    expect(fourth).toEqual([
      expect.objectContaining({
        event: 'error',
        name: 'TokenError',
        code: 'TOKEN_REFRESH_EXPIRED',
        hint: expect.stringMatching(/Sign in again/),
      }),
    ]);
  }, 90_000);
});
