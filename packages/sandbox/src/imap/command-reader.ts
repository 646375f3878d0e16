/**
 * Incremental framing of IMAP client input into whole commands: CRLF-terminated lines, with
 * `{n}` (synchronising) and `{n+}` (LITERAL+) literals in between. The result never depends on
 * how TCP chunks the bytes, and nothing larger than the configured limits is ever buffered.
 */

/** One complete command: the line texts with the literals that followed each of them. */
export interface FramedCommand {
  /** `lines[i]` is followed by `literals[i]`; `lines.length === literals.length + 1`. */
  readonly lines: string[];
  readonly literals: Buffer[];
}

export interface CommandReaderEvents {
  command(command: FramedCommand): void;
  /** A synchronising literal was announced and accepted: ask the client for its bytes. */
  continueLiteral(): void;
  /**
   * A literal larger than the limit was announced. For a synchronising literal the client sends
   * nothing more of the command; for LITERAL+ its bytes are skipped. Either way the command ends here.
   */
  literalTooLarge(firstLine: string, size: number): void;
  /** A line exceeded the limit: the stream cannot be resynchronised. */
  lineTooLong(): void;
}

export interface CommandReaderLimits {
  maxLineBytes: number;
  maxLiteralBytes: number;
}

const CRLF = 0x0a;
const LITERAL_AT_END = /\{(\d{1,20})(\+?)\}$/;

/** Feeds socket chunks in, calls back with framed commands. */
export class CommandReader {
  #pendingLine: Buffer[] = [];
  #pendingLineBytes = 0;
  #lines: string[] = [];
  #literals: Buffer[] = [];
  #literalBytesInCommand = 0;
  /** Bytes still expected for the current literal (collected or skipped). */
  #literalRemaining = 0;
  #literalChunks: Buffer[] = [];
  #skipping = false;
  #failed = false;

  constructor(
    private readonly limits: CommandReaderLimits,
    private readonly events: CommandReaderEvents,
  ) {}

  /** Discards a half-read command (after STARTTLS, or when the caller resets the session). */
  reset(): void {
    this.#pendingLine = [];
    this.#pendingLineBytes = 0;
    this.#resetCommand();
  }

  /** Stops framing for good; the rest of the current chunk is ignored (used at STARTTLS). */
  stop(): void {
    this.#failed = true;
  }

  push(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length && !this.#failed) {
      if (this.#literalRemaining > 0) {
        const take = Math.min(this.#literalRemaining, chunk.length - offset);
        if (!this.#skipping) this.#literalChunks.push(chunk.subarray(offset, offset + take));
        this.#literalRemaining -= take;
        offset += take;
        if (this.#literalRemaining === 0 && !this.#skipping) {
          this.#literals.push(Buffer.concat(this.#literalChunks));
          this.#literalChunks = [];
        }
        continue;
      }
      const end = chunk.indexOf(CRLF, offset);
      const stop = end === -1 ? chunk.length : end + 1;
      const piece = chunk.subarray(offset, stop);
      offset = stop;
      if (this.#pendingLineBytes + piece.length > this.limits.maxLineBytes) {
        this.#failed = true;
        this.events.lineTooLong();
        return;
      }
      this.#pendingLine.push(piece);
      this.#pendingLineBytes += piece.length;
      if (end !== -1) this.#lineComplete();
    }
  }

  #lineComplete(): void {
    const line = Buffer.concat(this.#pendingLine)
      .toString('utf8')
      .replace(/\r?\n$/, '');
    this.#pendingLine = [];
    this.#pendingLineBytes = 0;
    if (this.#skipping) {
      // The rest of a command whose literal was refused: drop it, and stop at its last line.
      if (!this.#announceLiteral(line, true)) {
        this.#skipping = false;
        this.#resetCommand();
      }
      return;
    }
    this.#lines.push(line);
    if (!this.#announceLiteral(line, false)) {
      const command = { lines: this.#lines, literals: this.#literals };
      this.#resetCommand();
      this.events.command(command);
    }
  }

  /** Returns true when `line` ends with a literal announcement (and arranges to read it). */
  #announceLiteral(line: string, skipping: boolean): boolean {
    const match = LITERAL_AT_END.exec(line);
    if (!match) return false;
    const size = Number(match[1]);
    const nonSync = match[2] === '+';
    if (skipping) {
      // Only LITERAL+ data follows without our go-ahead; a synchronising one is never sent.
      if (!nonSync) return false;
      this.#literalRemaining = size;
      return true;
    }
    if (this.#literalBytesInCommand + size > this.limits.maxLiteralBytes) {
      const firstLine = this.#lines[0] ?? line;
      this.events.literalTooLarge(firstLine, size);
      if (nonSync && size > 0) {
        this.#skipping = true;
        this.#literalRemaining = size;
      } else {
        this.#resetCommand();
      }
      return true;
    }
    this.#literalBytesInCommand += size;
    if (size === 0) {
      this.#literals.push(Buffer.alloc(0));
    } else {
      this.#literalRemaining = size;
    }
    if (!nonSync) this.events.continueLiteral();
    return true;
  }

  #resetCommand(): void {
    this.#lines = [];
    this.#literals = [];
    this.#literalChunks = [];
    this.#literalBytesInCommand = 0;
    this.#literalRemaining = 0;
  }
}
