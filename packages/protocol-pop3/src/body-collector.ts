/** Where a multi-line reply's body goes: a stream (`retr()`) or one bounded buffer (everything else). */

/** Receives a multi-line reply's body. */
export interface BodySink {
  /** Called per body piece; handed to the parser as is, so it must not need `this`. */
  readonly add: (chunk: Buffer, start: number, end: number) => void;
}

/**
 * Gathers a body as views of the socket's chunks (the parser never changes a piece it handed on)
 * and joins them into one buffer only once the body is complete, never more than `limit` bytes:
 * the piece that would cross it throws `overflow()` instead (the parser's caller then fails the
 * connection), so a reply without end holds at most `limit`.
 *
 * Why not copy into a buffer sized from `+OK <octets>` as the pieces come: that buffer lives while
 * the reply arrives and waits in the pipeline, across several young-generation collections, so V8
 * promotes it and only a full mark-compact frees it — against Dovecot that was most of the
 * client's GC time. A buffer made at the end is handed over at once and dies young.
 */
export class BodyCollector {
  readonly #limit: number;
  readonly #overflow: () => Error;
  #pieces: Buffer[] = [];
  #length = 0;

  constructor(limit: number, overflow: () => Error) {
    this.#limit = limit;
    this.#overflow = overflow;
  }

  /** Bytes held so far, for tests of the bound. */
  get length(): number {
    return this.#length;
  }

  /** Takes bytes `start` to `end` of `chunk` (a prototype method: no closure per reply). */
  add(chunk: Buffer, start: number, end: number): void {
    if (end <= start) return;
    const length = this.#length + (end - start);
    if (length > this.#limit) throw this.#overflow();
    this.#pieces.push(chunk.subarray(start, end));
    this.#length = length;
  }

  /** The whole body: one copy, or none when it is most of a single chunk. */
  buffer(): Buffer {
    const pieces = this.#pieces;
    this.#pieces = [];
    const only = pieces.length === 1 ? (pieces[0] as Buffer) : undefined;
    // A small view would keep its whole chunk alive with the message.
    if (only !== undefined && only.length * 2 >= only.buffer.byteLength) return only;
    return Buffer.concat(pieces, this.#length);
  }
}
