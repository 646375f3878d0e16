/**
 * Connects reset before the greeting (a server at its process or connection limit) are retried,
 * bounded and jittered; a reset after the greeting is not. A TCP front resets the first N
 * connections (RST, before a byte) and relays the rest to the sandbox's imaps port.
 */
import { type Front, resettingFront } from '@kalisto/test-support';
import type { ImapFlow } from 'imapflow';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type ImapTestBed, startTestBed } from './helpers.js';

let bed: ImapTestBed;
let front: Front | undefined;
beforeAll(async () => {
  bed = await startTestBed();
});
afterEach(async () => {
  vi.restoreAllMocks();
  await front?.close();
  front = undefined;
});
afterAll(async () => bed?.stop());

async function storeThrough(f: Front, protocol: 'imap' | 'imaps' = 'imaps') {
  const session = bed.kalisto.session({
    ...bed.sandbox.properties,
    [`mail.${protocol}.port`]: String(f.port),
  });
  await session.tokens.getToken();
  bed.sandbox.hooks.resetRequestCounts();
  const logins = vi.spyOn(bed.sandbox.verifier, 'verify');
  const result = await session.store(protocol).then(
    (client) => client as ImapFlow,
    (error: unknown) => error,
  );
  return { session, result, logins };
}

describe('connects reset before the greeting', () => {
  it('two resets, then a connect that logs in once: three connections, one login, no extra token', async () => {
    front = await resettingFront(bed.sandbox.endpoints.imaps.port, 2);
    const { session, result, logins } = await storeThrough(front);
    expect((result as ImapFlow).authenticated).toBeTruthy();
    expect(front.connections).toBe(3);
    expect(logins).toHaveBeenCalledTimes(1);
    expect(bed.sandbox.hooks.requestCounts().client_credentials ?? 0).toBe(0);
    await session.close();
  });

  it('gives up after three retries with the reset as the error (four connections)', async () => {
    front = await resettingFront(bed.sandbox.endpoints.imaps.port, 100);
    const { session, result, logins } = await storeThrough(front);
    expect(result).toMatchObject({ name: 'ConnectionError' });
    expect(JSON.stringify(result)).toContain('ECONNRESET');
    expect(front.connections).toBe(4);
    expect(logins).not.toHaveBeenCalled();
    await session.close();
  });

  it('a reset after the greeting (plain port, at STARTTLS) is not retried: one connection', async () => {
    front = await resettingFront(bed.sandbox.endpoints.imap.port, 0, true);
    const { session, result } = await storeThrough(front, 'imap');
    expect(result).toMatchObject({ name: 'ConnectionError' });
    expect(front.connections).toBe(1);
    await session.close();
  });
});
