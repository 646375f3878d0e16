import { describe, expect, it } from 'vitest';
import { silentLogger } from '../logging/logger.js';
import { CONNECT_RESET_RETRY, isConnectionReset, retryConnectReset } from './connect-retry.js';

const reset = () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });

describe('retryConnectReset', () => {
  it('repeats a connect reset before the greeting, at most CONNECT_RESET_RETRY.retries times', async () => {
    let attempts = 0;
    const failure = reset();
    const outcome = retryConnectReset(
      async () => {
        attempts += 1;
        throw failure;
      },
      { resetBeforeGreeting: isConnectionReset, logger: silentLogger, random: () => 0 },
    );
    await expect(outcome).rejects.toBe(failure);
    expect(attempts).toBe(CONNECT_RESET_RETRY.retries + 1);
  });

  it('returns the first connect that succeeds, and never repeats other failures', async () => {
    let attempts = 0;
    const value = await retryConnectReset(
      async () => {
        attempts += 1;
        if (attempts < 3) throw reset();
        return 'client';
      },
      { resetBeforeGreeting: isConnectionReset, logger: silentLogger, random: () => 0 },
    );
    expect({ value, attempts }).toEqual({ value: 'client', attempts: 3 });

    attempts = 0;
    const refused = new Error('refused after the greeting');
    await expect(
      retryConnectReset(
        async () => {
          attempts += 1;
          throw refused;
        },
        { resetBeforeGreeting: () => false, logger: silentLogger },
      ),
    ).rejects.toBe(refused);
    expect(attempts).toBe(1);
  });

  it('finds a reset in the cause chain', () => {
    expect(isConnectionReset(new Error('wrapped', { cause: reset() }))).toBe(true);
    expect(isConnectionReset(new Error('other'))).toBe(false);
  });
});
