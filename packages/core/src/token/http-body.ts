/**
 * The cap on what Kalisto holds of an HTTP reply. A token endpoint answers in a few kilobytes; a
 * hostile or broken one (or a proxy in its place) can stream without end, and reading that whole
 * would end the process (V8 gives up past a few GB, uncatchably).
 */

/** The largest reply body read from the identity platform, bytes (256 KiB: a token reply is ~2–10 KiB). */
export const DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024;

/** `code` of {@link ResponseTooLargeError}. */
export const RESPONSE_TOO_LARGE = 'ERR_RESPONSE_TOO_LARGE';

/** A reply body (declared or received) larger than the cap; the request was aborted. */
export class ResponseTooLargeError extends Error {
  readonly code = RESPONSE_TOO_LARGE;
  /** The cap, bytes. */
  readonly limit: number;

  constructor(limit: number) {
    super(`The reply was more than ${limit} bytes; the request was aborted.`);
    this.name = 'ResponseTooLargeError';
    this.limit = limit;
  }
}

/**
 * Reads `body` whole, but throws a {@link ResponseTooLargeError} as soon as more than `maxBytes`
 * have arrived: it never holds more than `maxBytes` plus one chunk. Leaving the loop early ends
 * the iteration, which destroys a stream body (undici then aborts the request).
 */
export async function readBoundedBody(body: AsyncIterable<Uint8Array>, maxBytes: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > maxBytes) throw new ResponseTooLargeError(maxBytes);
    parts.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }
  return Buffer.concat(parts, size);
}
