import { describe, expect, it } from 'vitest';
import { AuthenticationError, ConnectionError } from '../errors/errors.js';
import { silentLogger } from '../logging/logger.js';
import type { KalistoSession } from '../session/types.js';
import type { AccessToken, TokenManager, TokenManagerRequest } from '../token/types.js';
import { loginWithTokenRetry } from './login-retry.js';

function recordingTokens(): TokenManager & { calls: string[] } {
  let issued = 0;
  const calls: string[] = [];
  return {
    calls,
    async getToken(request?: TokenManagerRequest): Promise<AccessToken> {
      calls.push(request?.forceRefresh ? 'force' : 'get');
      issued += 1;
      return { accessToken: `token-${issued}`, expiresAt: Date.now() + 3_600_000, scopes: [] };
    },
    async invalidate() {
      calls.push('invalidate');
    },
    keyFor: () => 'key',
  };
}

function contextWith(tokens: TokenManager) {
  return { session: { tokens } as unknown as KalistoSession, logger: silentLogger };
}

const refusal = (code: string) =>
  new AuthenticationError('[protocol:imap] refused', {
    code,
    protocol: 'imap',
    serverText: 'NO AUTHENTICATE failed.',
  });

describe('loginWithTokenRetry', () => {
  it('logs in with the session token when the server accepts it', async () => {
    const tokens = recordingTokens();
    const used: string[] = [];
    const result = await loginWithTokenRetry(contextWith(tokens), async (t) => {
      used.push(t.accessToken);
      return 'client';
    });
    expect(result).toBe('client');
    expect(used).toEqual(['token-1']);
    expect(tokens.calls).toEqual(['get']);
  });

  it('forgets a refused token, forces a fresh one and retries exactly once', async () => {
    const tokens = recordingTokens();
    const used: string[] = [];
    const result = await loginWithTokenRetry(contextWith(tokens), async (t) => {
      used.push(t.accessToken);
      if (used.length === 1) throw refusal('AUTH_TOKEN_REJECTED');
      return 'client';
    });
    expect(result).toBe('client');
    expect(used).toEqual(['token-1', 'token-2']);
    expect(tokens.calls).toEqual(['get', 'invalidate', 'force']);
  });

  it('passes the second refusal to the caller', async () => {
    const tokens = recordingTokens();
    const attempt = loginWithTokenRetry(contextWith(tokens), async () => {
      throw refusal('AUTH_TOKEN_EXPIRED');
    });
    await expect(attempt).rejects.toMatchObject({ name: 'AuthenticationError', code: 'AUTH_TOKEN_EXPIRED' });
    expect(tokens.calls).toEqual(['get', 'invalidate', 'force']);
  });

  it('does not spend a token request on refusals a fresh token cannot cure, nor on network failures', async () => {
    for (const error of [
      refusal('AUTH_MAILBOX_NOT_CONNECTED'),
      refusal('AUTH_SMTP_DISABLED'),
      new ConnectionError('[protocol:imap] refused connection', { code: 'CONNECTION_FAILED' }),
    ]) {
      const tokens = recordingTokens();
      await expect(
        loginWithTokenRetry(contextWith(tokens), async () => {
          throw error;
        }),
      ).rejects.toBe(error);
      expect(tokens.calls).toEqual(['get']);
    }
  });

  it("does not retry when the refused token's claims already show why (permission, audience, tenant)", async () => {
    for (const code of ['MISSING_PERMISSION', 'GRAPH_AUDIENCE', 'WRONG_AUDIENCE', 'WRONG_TENANT'] as const) {
      const error = new AuthenticationError('[protocol:imap] refused', {
        code: 'AUTH_TOKEN_REJECTED',
        protocol: 'imap',
        findings: [{ code, message: `finding ${code}` }],
      });
      const tokens = recordingTokens();
      let logins = 0;
      await expect(
        loginWithTokenRetry(contextWith(tokens), async () => {
          logins += 1;
          throw error;
        }),
      ).rejects.toBe(error);
      expect({ code, logins, calls: tokens.calls }).toEqual({ code, logins: 1, calls: ['get'] });
    }
  });

  it('still retries a rejected token whose findings are only informational', async () => {
    const tokens = recordingTokens();
    const error = new AuthenticationError('[protocol:imap] refused', {
      code: 'AUTH_TOKEN_REJECTED',
      protocol: 'imap',
      findings: [{ code: 'EXPIRED', message: 'the token had expired' }],
    });
    let logins = 0;
    await loginWithTokenRetry(contextWith(tokens), async () => {
      logins += 1;
      if (logins === 1) throw error;
      return 'client';
    });
    expect(tokens.calls).toEqual(['get', 'invalidate', 'force']);
  });
});
