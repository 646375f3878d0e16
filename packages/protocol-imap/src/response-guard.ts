/**
 * Counts what an IMAP server sends, by the protocol's own framing (a response is a line, or lines
 * joined by `{n}` literals, up to a line that announces no literal), and says when a bound is
 * crossed: before login the whole exchange has a small fixed budget; after login each response, and
 * the untagged listing (LIST, LSUB, STATUS) a command collects, is bounded by `maxResponseBytes`,
 * except the literal of a message body section in a FETCH response, which ImapFlow streams to
 * `fetch()`/`download()` callers and which has only the body bound. Pure: it never buffers a
 * response, only a few bytes of its head and of the current line's tail.
 */

/** The bounds a {@link ResponseGuard} enforces. */
export interface ResponseLimits {
  /** After login: the most bytes of one response, or of one command's listing (`mail.<p>.maxResponseBytes`). */
  maxResponseBytes: number;
  /** Before login: the most bytes of the whole exchange (greeting, CAPABILITY, STARTTLS, AUTHENTICATE). */
  preAuthBytes: number;
  /** After login: the largest literal of a message body section (FETCH BODY[]/BINARY[]/RFC822). */
  maxBodyLiteralBytes: number;
}

/** Which bound was crossed. */
export type ResponseBound = 'pre-auth' | 'response' | 'body';

/** A crossed bound: what the server sent (or announced) against what was allowed. */
export interface LimitExceeded {
  bound: ResponseBound;
  limit: number;
  /** Bytes counted against the bound when it was crossed (received so far, not announced). */
  received: number;
  /** The size of the literal whose announcement crossed the bound, when one did. */
  announced?: number;
}

const LF = 0x0a;
/** Bytes of the current line kept to read a literal announcement and the section before it. */
const TAIL_BYTES = 256;
/** Bytes of a response kept to tell `* 12 FETCH`, `* LIST` and tagged responses apart. */
const HEAD_BYTES = 32;
const LITERAL_MARKER = /\{(\d+)\}\r?\n$/;
const FETCH_HEAD = /^\* \d+ FETCH[ (]/i;
/** The body sections whose literal is message content; servers answer without `.PEEK`. */
const BODY_SECTION =
  /(?:^|[ (])(?:(?:BODY|BINARY)\[[^\]]*\](?:<\d+>)?|RFC822(?:\.TEXT|\.HEADER)?) ~?\{\d+\}\r?\n$/i;
/** Untagged responses a command collects in full before it completes (ImapFlow's `list()`). */
const LISTING_HEAD = /^\* (?:LIST|LSUB|XLIST|STATUS) /i;
/**
 * What one collected folder costs beyond its bytes: ImapFlow's `list()` keeps a parsed object per
 * folder, about 600 bytes of heap for a 40-byte line (measured: 16 MiB of short LIST lines held
 * 270 MB). Counting it keeps a listing's memory, not just its bytes, near `maxResponseBytes`.
 */
export const LISTING_ENTRY_BYTES = 512;

/** Tracks one connection's responses; feed it every byte ImapFlow's parser is given, in order. */
export class ResponseGuard {
  readonly #limits: ResponseLimits;
  #authenticated = false;
  /** Every byte before login. */
  #preAuthBytes = 0;
  /** Bytes of the current response, its non-body literals included. */
  #responseBytes = 0;
  /** Bytes of the completed listing responses since the last tagged response. */
  #listingBytes = 0;
  /** Bytes still to come of the literal being read. */
  #literalLeft = 0;
  #lineBytes = 0;
  #head = '';
  #tail: Buffer = Buffer.alloc(0);

  constructor(limits: ResponseLimits) {
    this.#limits = limits;
  }

  /** Login succeeded: from now on the per-response bounds apply instead of the pre-login budget. */
  authenticated(): void {
    this.#authenticated = true;
  }

  /** True while a response has begun and not yet ended: a close now cuts it off. */
  get midResponse(): boolean {
    return this.#lineBytes > 0 || this.#literalLeft > 0 || this.#responseBytes > 0;
  }

  /** Counts `chunk`; returns the bound it crosses, if any (then the connection must be dropped). */
  accept(chunk: Buffer): LimitExceeded | undefined {
    const limits = this.#limits;
    let pos = 0;
    while (pos < chunk.length) {
      if (this.#literalLeft > 0) {
        const taken = Math.min(this.#literalLeft, chunk.length - pos);
        this.#literalLeft -= taken;
        pos += taken;
        continue;
      }
      const lf = chunk.indexOf(LF, pos);
      const end = lf < 0 ? chunk.length : lf + 1;
      this.#addToLine(chunk.subarray(pos, end));
      pos = end;
      if (lf >= 0) {
        const exceeded = this.#endOfLine(this.#preAuthBytes + pos);
        if (exceeded) return exceeded;
      }
      if (this.#authenticated && this.#held() > limits.maxResponseBytes) {
        return this.#exceeded('response', this.#held());
      }
    }
    if (!this.#authenticated) {
      this.#preAuthBytes += chunk.length;
      if (this.#preAuthBytes > limits.preAuthBytes) return this.#exceeded('pre-auth', this.#preAuthBytes);
    }
    return undefined;
  }

  #held(): number {
    return this.#listingBytes + this.#responseBytes;
  }

  #addToLine(segment: Buffer): void {
    this.#lineBytes += segment.length;
    this.#responseBytes += segment.length;
    if (this.#head.length < HEAD_BYTES) {
      this.#head += segment.toString('latin1', 0, HEAD_BYTES - this.#head.length);
    }
    this.#tail =
      segment.length >= TAIL_BYTES
        ? Buffer.from(segment.subarray(segment.length - TAIL_BYTES))
        : Buffer.concat([this.#tail, segment]).subarray(-TAIL_BYTES);
  }

  /** A line ended: either it announces a literal, or the response is complete. */
  #endOfLine(preAuthSoFar: number): LimitExceeded | undefined {
    const tail = this.#tail.toString('latin1');
    const literal = literalSize(tail, this.#lineBytes);
    this.#lineBytes = 0;
    this.#tail = Buffer.alloc(0);
    if (literal === undefined) {
      this.#endOfResponse();
      return undefined;
    }
    const limits = this.#limits;
    if (!this.#authenticated) {
      if (preAuthSoFar + literal > limits.preAuthBytes)
        return this.#exceeded('pre-auth', preAuthSoFar, literal);
    } else if (FETCH_HEAD.test(this.#head) && BODY_SECTION.test(tail)) {
      if (literal > limits.maxBodyLiteralBytes) return this.#exceeded('body', this.#held(), literal);
    } else {
      if (this.#held() + literal > limits.maxResponseBytes)
        return this.#exceeded('response', this.#held(), literal);
      this.#responseBytes += literal;
    }
    this.#literalLeft = literal;
    return undefined;
  }

  #endOfResponse(): void {
    const head = this.#head;
    if (!head.startsWith('*') && !head.startsWith('+')) this.#listingBytes = 0;
    else if (LISTING_HEAD.test(head)) this.#listingBytes += this.#responseBytes + LISTING_ENTRY_BYTES;
    this.#responseBytes = 0;
    this.#head = '';
  }

  #exceeded(bound: ResponseBound, received: number, announced?: number): LimitExceeded {
    const limit =
      bound === 'pre-auth'
        ? this.#limits.preAuthBytes
        : bound === 'body'
          ? this.#limits.maxBodyLiteralBytes
          : this.#limits.maxResponseBytes;
    return { bound, limit, received, ...(announced === undefined ? {} : { announced }) };
  }
}

/**
 * The size a line's `{n}` announces (the tail of the line, `lineBytes` long in all), undefined when it
 * announces none. Digits that fill the whole kept tail of a longer line are a size no one can
 * receive (ImapFlow refuses more than 19 significant digits): Infinity.
 */
function literalSize(tail: string, lineBytes: number): number | undefined {
  const match = LITERAL_MARKER.exec(tail);
  if (match) return Number(match[1]);
  if (lineBytes > tail.length && /^\d+\}\r?\n$/.test(tail)) return Number.POSITIVE_INFINITY;
  return undefined;
}
