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
  sandbox = await startTestSandbox();
  dir = await mkdtemp(join(tmpdir(), 'kalisto-oauth2-restart-'));
});
afterAll(async () => {
  await sandbox?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('oauth2 refresh tokens persisted in a shared encrypted file cache', () => {
  it('a second process continues from the rotated refresh token; other credentials cannot; after revocation: sign in again', async () => {
    const { adele } = sandbox.fixtures.users;
    const cachePath = join(dir, 'tokens.json');
    const key = randomBytes(32).toString('hex');
    const script = fileURLToPath(new URL('./fixtures/token-child.ts', import.meta.url));
    const base = Object.fromEntries(
      Object.entries(sandbox.properties).filter(
        ([name]) => !name.startsWith('mail.') && name !== 'o365.oauth.clientSecret',
      ),
    );
    const env = (properties: Record<string, string>, refreshToken = '') => ({
      KALISTO_TEST_PROPERTIES: JSON.stringify({
        ...base,
        'o365.oauth.provider': 'oauth2',
        'o365.oauth.clientId': sandbox.fixtures.publicApp.clientId,
        'o365.oauth.scope': `${IMAP_SCOPE} offline_access`,
        'o365.user': adele.upn,
        ...properties,
      }),
      KALISTO_TEST_CACHE_PATH: cachePath,
      KALISTO_TEST_CACHE_KEY: key,
      KALISTO_TEST_REFRESH_TOKEN: refreshToken,
    });
    const refreshFlow = { 'o365.oauth.flow': 'refresh_token' };

    // Process 1 signs in with the password; the refresh token goes to the file, encrypted.
    const first = await runChild(
      script,
      env({ 'o365.oauth.flow': 'password', 'o365.password': adele.password }),
    );
    expect(first).toEqual([expect.objectContaining({ event: 'token', account: adele.upn })]);
    const imported = [...sandbox.state.refreshTokens.keys()].at(-1) ?? '';
    expect(await readFile(cachePath, 'utf8')).not.toContain(imported);

    // It is bound to the password: a process without it must sign in, and asks nothing.
    expect(await runChild(script, env(refreshFlow))).toEqual([
      expect.objectContaining({ event: 'error', code: 'TOKEN_SIGN_IN_REQUIRED' }),
    ]);
    expect(sandbox.hooks.requestCounts()).toMatchObject({ password: 1, refresh_token: 0 });

    // A process given a refresh token redeems it once; the next one continues from the rotated one.
    await runChild(script, env(refreshFlow, imported));
    const rotated = [...sandbox.state.refreshTokens.keys()].at(-1) ?? '';
    expect(rotated).not.toBe(imported);
    const second = await runChild(script, env(refreshFlow, imported));
    expect(second).toEqual([expect.objectContaining({ event: 'token', account: adele.upn })]);
    expect(sandbox.hooks.requestCounts()).toMatchObject({ password: 1, refresh_token: 2 });

    // Signed out everywhere: the next process is told to sign in again.
    sandbox.hooks.revokeUser(adele.upn);
    const third = await runChild(script, env(refreshFlow, imported));
    expect(third).toEqual([
      expect.objectContaining({
        event: 'error',
        name: 'TokenError',
        code: 'TOKEN_REFRESH_EXPIRED',
        hint: expect.stringMatching(/Sign in again/),
      }),
    ]);
  }, 90_000);
});
