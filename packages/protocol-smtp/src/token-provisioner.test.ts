import type { AccessToken, KalistoSession, TokenManagerRequest } from '@kalisto/core';
import { describe, expect, it } from 'vitest';
import { SessionTokenProvisioner } from './token-provisioner.js';

/** A TokenManager double that issues `token-1`, `token-2`, … and records what it was asked. */
function fakeSession() {
  const calls: string[] = [];
  let issued = 0;
  let current: AccessToken | undefined;
  const issue = (): AccessToken => {
    issued++;
    current = { accessToken: `token-${issued}`, expiresAt: Date.now() + 3_600_000, scopes: [] };
    return current;
  };
  const tokens = {
    async getToken(request: TokenManagerRequest = {}) {
      calls.push(request.forceRefresh ? 'getToken(forceRefresh)' : 'getToken');
      await new Promise((resolve) => setImmediate(resolve));
      return request.forceRefresh || current === undefined ? issue() : current;
    },
    async invalidate() {
      calls.push('invalidate');
      current = undefined;
    },
    keyFor: () => 'key',
  };
  return { session: { tokens } as unknown as KalistoSession, calls };
}

function provision(provisioner: SessionTokenProvisioner, renew: boolean) {
  return new Promise<{ token?: string; expires?: number }>((resolve, reject) =>
    provisioner.provisionCallback('adele@contoso.example', renew, (error, token, expires) =>
      error ? reject(error) : resolve({ token, expires }),
    ),
  );
}

describe('SessionTokenProvisioner', () => {
  it('renew = false hands out the session’s token, already "expired" so nodemailer never reuses it', async () => {
    const { session, calls } = fakeSession();
    const provisioner = new SessionTokenProvisioner(session);

    const first = await provision(provisioner, false);
    const second = await provision(provisioner, false);

    expect(first).toEqual({ token: 'token-1', expires: 1 });
    expect(second.token).toBe('token-1');
    expect(calls).toEqual(['getToken', 'getToken']);
    expect(provisioner.lastToken?.accessToken).toBe('token-1');
  });

  it('renew = true forgets the token and forces one refresh, counted as a renewal', async () => {
    const { session, calls } = fakeSession();
    const provisioner = new SessionTokenProvisioner(session);
    await provision(provisioner, false);

    const renewed = await provision(provisioner, true);

    expect(renewed.token).toBe('token-2');
    expect(calls).toEqual(['getToken', 'invalidate', 'getToken(forceRefresh)']);
    expect(provisioner.snapshot()).toEqual({ generation: 1, renewals: 1 });
  });

  it('concurrent refreshes share one forced token request', async () => {
    const { session, calls } = fakeSession();
    const provisioner = new SessionTokenProvisioner(session);

    const tokens = await Promise.all([provisioner.refresh(), provisioner.refresh(), provisioner.refresh()]);

    expect(new Set(tokens.map((t) => t.accessToken))).toEqual(new Set(['token-1']));
    expect(calls).toEqual(['invalidate', 'getToken(forceRefresh)']);
    expect(provisioner.snapshot().generation).toBe(1);
    await provisioner.refresh();
    expect(provisioner.snapshot().generation).toBe(2);
  });
});
