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
 *
 * With `declaredBytes` (the reply's content-length, used when within `maxBytes`) each chunk is
 * copied into one buffer of that size as it arrives, instead of being kept and concatenated.
 */
export async function readBoundedBody(
  body: AsyncIterable<Uint8Array>,
  maxBytes: number,
  declaredBytes?: number,
): Promise<Buffer> {
  const declared =
    declaredBytes !== undefined && Number.isSafeInteger(declaredBytes) && declaredBytes >= 0
      ? Math.min(declaredBytes, maxBytes)
      : undefined;
  let whole = declared === undefined ? undefined : Buffer.allocUnsafe(declared);
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const end = size + chunk.byteLength;
    if (end > maxBytes) throw new ResponseTooLargeError(maxBytes);
    if (whole !== undefined && end <= whole.length) {
      whole.set(chunk, size);
    } else {
      // No length declared, or more bytes than declared: keep the chunks and join them at the end.
      if (whole !== undefined) parts.push(whole.subarray(0, size));
      whole = undefined;
      parts.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    }
    size = end;
  }
  if (whole !== undefined) return size === whole.length ? whole : whole.subarray(0, size);
  return Buffer.concat(parts, size);
}
