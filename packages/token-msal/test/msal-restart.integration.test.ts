import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { signInAgainReport, tokenRestartBed } from '@kalisto/test-support/token-provider';
import { describe, expect, it } from 'vitest';
import { IMAP_SCOPE } from './support.js';

const bed = tokenRestartBed({
  script: fileURLToPath(new URL('./fixtures/token-child.ts', import.meta.url)),
  // Device codes may be polled every 50 ms.
  sandbox: { mail: false, lifetimes: { deviceCodeInterval: 0.05 } },
  properties: { 'o365.oauth.scope': IMAP_SCOPE },
});

describe('msal refresh tokens persisted in a shared encrypted file cache', () => {
  it('a second process refreshes without a new sign-in; after revocation it is told to sign in again', async () => {
    const { sandbox } = bed;
    const { adele } = sandbox.fixtures.users;
    const flow = (name: string) => ({ 'o365.oauth.flow': name });

    // Process 1 signs in with a device code, which the "user" approves at the sandbox.
    const first = await bed.run(flow('device_code'), {
      onEvent: (event) => {
        if (event.event === 'device_code') sandbox.hooks.approveDeviceCode(String(event.userCode), adele.upn);
      },
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
    expect(await readFile(bed.cachePath, 'utf8')).not.toContain(refreshToken);

    // Process 2 (a restart, or another node) redeems the persisted refresh token: no sign-in.
    const second = await bed.run(flow('refresh_token'), { forceRefresh: true });
    expect(second).toEqual([expect.objectContaining({ event: 'token', account: adele.upn })]);
    expect(sandbox.hooks.requestCounts()).toMatchObject({
      devicecode_request: 1,
      device_code: 1,
      password: 0,
      refresh_token: 1,
    });

    // Process 3 uses the rotated refresh token process 2 wrote back.
    await bed.run(flow('refresh_token'), { forceRefresh: true });
    expect(sandbox.hooks.requestCounts().refresh_token).toBe(2);

    // Signed out everywhere (revokeSignInSessions): the next process is told to sign in again.
    sandbox.hooks.revokeUser(adele.upn);
    expect(await bed.run(flow('refresh_token'), { forceRefresh: true })).toEqual([signInAgainReport()]);
  }, 90_000);
});
