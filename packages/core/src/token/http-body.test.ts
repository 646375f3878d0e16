import { describe, expect, it } from 'vitest';
import { ResponseTooLargeError, readBoundedBody } from './http-body.js';

/** A body of `count` chunks of `size` bytes that records how many were pulled and whether it was ended. */
function chunks(count: number, size: number) {
  const seen = { pulled: 0, ended: false };
  async function* body() {
    try {
      for (let i = 0; i < count; i++) {
        seen.pulled++;
        yield new Uint8Array(size).fill(0x61);
      }
    } finally {
      seen.ended = true;
    }
  }
  return { body: body(), seen };
}

describe('readBoundedBody', () => {
  it('reads a body up to the cap whole', async () => {
    const { body } = chunks(4, 256);
    const read = await readBoundedBody(body, 1024);
    expect(read.length).toBe(1024);
    expect(read.toString()).toBe('a'.repeat(1024));
  });

  it('stops at the first chunk over the cap and ends the body: it never holds more than cap + one chunk', async () => {
    const { body, seen } = chunks(1_000_000, 1024);
    const error = await readBoundedBody(body, 4096).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResponseTooLargeError);
    expect(error).toMatchObject({ code: 'ERR_RESPONSE_TOO_LARGE', limit: 4096 });
    expect((error as Error).message).toContain('more than 4096 bytes');
    expect(seen.pulled).toBe(5);
    expect(seen.ended).toBe(true);
  });

  it('with a declared length, copies each chunk as it arrives (the reader may reuse its buffer) into one buffer', async () => {
    /** Yields the same buffer three times, refilled: a reader that keeps chunks would see only the last. */
    async function* reused() {
      const buffer = new Uint8Array(4);
      for (const byte of [0x61, 0x62, 0x63]) yield buffer.fill(byte);
    }
    const read = await readBoundedBody(reused(), 1024, 12);
    expect(read.toString()).toBe('aaaabbbbcccc');
  });

  it('a declared length that is wrong still gives the bytes received, within the cap', async () => {
    expect((await readBoundedBody(chunks(3, 4).body, 1024, 8)).toString()).toBe('a'.repeat(12));
    expect((await readBoundedBody(chunks(2, 4).body, 1024, 20)).toString()).toBe('a'.repeat(8));
    await expect(readBoundedBody(chunks(5, 4).body, 16, 8)).rejects.toBeInstanceOf(ResponseTooLargeError);
  });
});
