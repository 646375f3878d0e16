// Issue 10: one overall deadline per token request against a hanging or throttling identity platform
// (the sandbox's fault injection), and a still-valid token kept while a refresh fails.
import type { Clock } from '@kalisto/core';
import { createTokenManager, type TokenManagerOptions, type TokenProvider } from '@kalisto/core/plugin';
import type { Sandbox } from '@kalisto/sandbox';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { oauth2TokenProvider } from '../src/index.js';
import { recordingLogger, rejection, sandboxConfig, startTestSandbox } from './support.js';

let sandbox: Sandbox;
const open: TokenProvider[] = [];

beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterEach(async () => {
  for (const provider of open.splice(0)) await provider.close?.();
  sandbox.hooks.clearFaults();
  sandbox.hooks.resetRequestCounts();
});
afterAll(async () => {
  await sandbox?.stop();
});

/** A client credentials manager whose HTTP timeout is the default 30 s and whose deadline is 1 s. */
function manager(extra: Partial<TokenManagerOptions> = {}) {
  const config = sandboxConfig(sandbox);
  const logger = recordingLogger();
  const provider = oauth2TokenProvider({ noProxy: '' }).create({ config, cache: undefined, logger });
  open.push(provider);
  return { logger, manager: createTokenManager({ config, provider, logger, deadlineMs: 1_000, ...extra }) };
}

describe('token request deadline against the sandbox', () => {
  it('a hanging token endpoint fails with TOKEN_TIMEOUT at the deadline, not after 3 × 30 s', async () => {
    expect(sandboxConfig(sandbox).oauth.timeoutMs).toBe(30_000);
    sandbox.hooks.injectFault({ latencyMs: 600_000 }, 10);
    const { manager: m } = manager();
    expect(await rejection(m.getToken())).toMatchObject({
      name: 'TokenError',
      code: 'TOKEN_TIMEOUT',
      transient: true,
      message: expect.stringMatching(/within 1000 ms, retries included/),
    });
  });

  it('a still-valid token keeps being served while its refresh hangs', async () => {
    let offset = 0;
    const clock: Clock = { now: () => Date.now() + offset };
    const { manager: m, logger } = manager({ clock });
    const token = await m.getToken();
    // Inside the refresh window (5 min before expiry), still valid for a minute.
    offset = token.expiresAt - Date.now() - 60_000;
    sandbox.hooks.injectFault({ latencyMs: 600_000 }, 10);
    expect(await m.getToken()).toEqual(token);
    expect(logger.lines.some((l) => l.level === 'warn' && /using the current one/.test(l.msg ?? ''))).toBe(
      true,
    );
  });

  it('waits the Retry-After of a 429 when it fits, and gives up at once when it does not', async () => {
    sandbox.hooks.injectFault({ status: 429, retryAfterSeconds: 1 });
    const { manager: patient } = manager({ deadlineMs: 5_000 });
    expect((await patient.getToken()).accessToken).toBeTruthy();
    expect(sandbox.hooks.requestCounts().client_credentials).toBe(2);

    sandbox.hooks.resetRequestCounts();
    sandbox.hooks.injectFault({ status: 429, retryAfterSeconds: 60 });
    const { manager: throttled } = manager({ deadlineMs: 5_000 });
    expect(await rejection(throttled.getToken())).toMatchObject({
      code: 'TOKEN_THROTTLED',
      retryAfterMs: 60_000,
    });
    expect(sandbox.hooks.requestCounts().client_credentials).toBe(1);
  });
});
