/**
 * POP3 connects reset before the greeting are retried (bounded, jittered); a reset after the
 * greeting is not. A TCP front resets the first N connections (RST, before a byte) and relays the
 * rest to the sandbox.
 */
import type { KalistoSession } from '@kalisto/core';
import { type Front, resettingFront } from '@kalisto/test-support';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Pop3Client } from '../src/index.js';
import { type Pop3TestBed, startTestBed } from './helpers.js';

let bed: Pop3TestBed;
let front: Front | undefined;
const sessions: KalistoSession[] = [];
beforeAll(async () => {
  bed = await startTestBed();
});
afterEach(async () => {
  vi.restoreAllMocks();
  for (const session of sessions.splice(0)) await session.close();
  await front?.close();
  front = undefined;
});
afterAll(async () => bed?.stop());

async function storeThrough(f: Front, protocol: 'pop3' | 'pop3s') {
  const session = bed.kalisto.session({
    ...bed.sandbox.properties,
    [`mail.${protocol}.port`]: String(f.port),
  });
  sessions.push(session);
  await session.tokens.getToken();
  const logins = vi.spyOn(bed.sandbox.verifier, 'verify');
  const result = await session.store(protocol).then(
    (client) => client as Pop3Client,
    (error: unknown) => error,
  );
  return { result, logins };
}

describe('POP3 connects reset before the greeting', () => {
  it('two resets, then a connect that logs in once: three connections, one login', async () => {
    front = await resettingFront(bed.sandbox.endpoints.pop3s.port, 2);
    const { result, logins } = await storeThrough(front, 'pop3s');
    expect(await (result as Pop3Client).stat()).toMatchObject({ count: expect.any(Number) });
    expect(front.connections).toBe(3);
    expect(logins).toHaveBeenCalledTimes(1);
  });

  it('gives up after three retries (four connections), no login', async () => {
    front = await resettingFront(bed.sandbox.endpoints.pop3s.port, 100);
    const { result, logins } = await storeThrough(front, 'pop3s');
    expect(result).toMatchObject({ name: 'ConnectionError' });
    expect(front.connections).toBe(4);
    expect(logins).not.toHaveBeenCalled();
  });

  it('a reset after the greeting (plain port, at CAPA) is not retried: one connection', async () => {
    front = await resettingFront(bed.sandbox.endpoints.pop3.port, 0, true);
    const { result } = await storeThrough(front, 'pop3');
    expect(result).toMatchObject({ name: 'ConnectionError' });
    expect(front.connections).toBe(1);
  });
});
