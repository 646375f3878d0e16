/**
 * Bytes received but not yet understood, cut into lines (LF or CRLF) and literals, never holding
 * more than one bounded line: what a peer sends before login is small, and a peer sending an endless
 * line is stopped at the bound.
 */

const EMPTY = Buffer.alloc(0);
const LF = 0x0a;
const CR = 0x0d;

/** A line (or a literal) went over the bound before its end arrived. */
export class LineTooLongError extends Error {
  constructor(readonly limit: number) {
    super(`line longer than ${limit} bytes`);
    this.name = 'LineTooLongError';
  }
}

export class LineBuffer {
  #pending: Buffer = EMPTY;
  readonly #maxLineBytes: number;

  constructor(maxLineBytes: number) {
    this.#maxLineBytes = maxLineBytes;
  }

  /** Bytes held. */
  get length(): number {
    return this.#pending.length;
  }

  push(chunk: Buffer): void {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
  }

  /**
   * The next complete line without its line end, or undefined until one is complete. Throws
   * {@link LineTooLongError} once a line (without its line end) is longer than the bound.
   */
  line(): Buffer | undefined {
    const lf = this.#pending.indexOf(LF);
    if (lf === -1) {
      // A CR may still be followed by its LF: it does not count yet.
      const held = this.#pending.length - (this.#pending.at(-1) === CR ? 1 : 0);
      if (held > this.#maxLineBytes) throw new LineTooLongError(this.#maxLineBytes);
      return undefined;
    }
    const end = lf > 0 && this.#pending[lf - 1] === CR ? lf - 1 : lf;
    if (end > this.#maxLineBytes) throw new LineTooLongError(this.#maxLineBytes);
    const line = this.#pending.subarray(0, end);
    this.#pending = this.#pending.subarray(lf + 1);
    return line;
  }

  /** Exactly `count` bytes (an IMAP literal), or undefined until they have all arrived. */
  bytes(count: number): Buffer | undefined {
    if (this.#pending.length < count) return undefined;
    const data = this.#pending.subarray(0, count);
    this.#pending = this.#pending.subarray(count);
    return data;
  }

  /** Everything held, emptying the buffer (what a client sent ahead, handed on after login). */
  takeAll(): Buffer {
    const rest = this.#pending;
    this.#pending = EMPTY;
    return rest;
  }
}
