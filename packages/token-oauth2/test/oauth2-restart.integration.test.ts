import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { signInAgainReport, tokenRestartBed } from '@kalisto/test-support/token-provider';
import { describe, expect, it } from 'vitest';
import { IMAP_SCOPE } from './support.js';

const bed = tokenRestartBed({
  script: fileURLToPath(new URL('./fixtures/token-child.ts', import.meta.url)),
  sandbox: { mail: false },
  properties: { 'o365.oauth.provider': 'oauth2', 'o365.oauth.scope': `${IMAP_SCOPE} offline_access` },
});

describe('oauth2 refresh tokens persisted in a shared encrypted file cache', () => {
  it('a second process continues from the rotated refresh token; other credentials cannot; after revocation: sign in again', async () => {
    const { sandbox } = bed;
    const { adele } = sandbox.fixtures.users;
    const refreshFlow = { 'o365.oauth.flow': 'refresh_token' };

    // Process 1 signs in with the password; the refresh token goes to the file, encrypted.
    const first = await bed.run({ 'o365.oauth.flow': 'password', 'o365.password': adele.password });
    expect(first).toEqual([expect.objectContaining({ event: 'token', account: adele.upn })]);
    const imported = [...sandbox.state.refreshTokens.keys()].at(-1) ?? '';
    expect(await readFile(bed.cachePath, 'utf8')).not.toContain(imported);

    // It is bound to the password: a process without it must sign in, and asks nothing.
    expect(await bed.run(refreshFlow)).toEqual([
      expect.objectContaining({ event: 'error', code: 'TOKEN_SIGN_IN_REQUIRED' }),
    ]);
    expect(sandbox.hooks.requestCounts()).toMatchObject({ password: 1, refresh_token: 0 });

    // A process given a refresh token redeems it once; the next one continues from the rotated one.
    await bed.run(refreshFlow, { refreshToken: imported });
    const rotated = [...sandbox.state.refreshTokens.keys()].at(-1) ?? '';
    expect(rotated).not.toBe(imported);
    const second = await bed.run(refreshFlow, { refreshToken: imported });
    expect(second).toEqual([expect.objectContaining({ event: 'token', account: adele.upn })]);
    expect(sandbox.hooks.requestCounts()).toMatchObject({ password: 1, refresh_token: 2 });

    // Signed out everywhere: the next process is told to sign in again.
    sandbox.hooks.revokeUser(adele.upn);
    expect(await bed.run(refreshFlow, { refreshToken: imported })).toEqual([signInAgainReport()]);
  }, 90_000);
});
