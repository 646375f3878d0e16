/**
 * Splits a byte stream into protocol lines, whatever the TCP chunking: a command may arrive in
 * pieces, several pipelined commands may arrive in one chunk.
 */

/** What `LineReader.push` found in a chunk: complete lines, and whether the length limit was hit. */
export interface LineReaderResult {
  /** Complete lines in arrival order, without the CRLF (or bare LF) that ended them. */
  lines: Buffer[];
  /** True once a line grew past the limit; the reader then drops everything and stays overflowed. */
  overflow: boolean;
}

/** An incremental CRLF line splitter with a maximum line length. */
export class LineReader {
  #pending: Buffer = Buffer.alloc(0);
  #overflow = false;

  /** @param maxLineLength the longest line accepted, in bytes, without its line end. */
  constructor(private readonly maxLineLength: number) {}

  /** Adds a chunk and returns the lines it completed. */
  push(chunk: Buffer): LineReaderResult {
    if (this.#overflow) return { lines: [], overflow: true };
    const data = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    const lines: Buffer[] = [];
    let start = 0;
    for (let end = data.indexOf(0x0a, start); end !== -1; end = data.indexOf(0x0a, start)) {
      const contentEnd = end > start && data[end - 1] === 0x0d ? end - 1 : end;
      if (contentEnd - start > this.maxLineLength) return this.#overflowed(lines);
      lines.push(data.subarray(start, contentEnd));
      start = end + 1;
    }
    // Copy the tail so a small partial line does not pin a large chunk in memory.
    this.#pending = Buffer.from(data.subarray(start));
    // The tail may still end in the CR of a CRLF split across chunks: allow that one byte.
    if (this.#pending.length > this.maxLineLength + 1) return this.#overflowed(lines);
    return { lines, overflow: false };
  }

  /** Drops any partial line (after STLS nothing received in plaintext may be used). */
  reset(): void {
    this.#pending = Buffer.alloc(0);
  }

  #overflowed(lines: Buffer[]): LineReaderResult {
    this.#overflow = true;
    this.#pending = Buffer.alloc(0);
    return { lines, overflow: true };
  }
}
