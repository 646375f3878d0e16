/**
 * The incremental POP3 reply parser (RFC 1939, RFC 2449 response codes, RFC 5034 continuations).
 * It is fed the socket's chunks as they come and hands each queued reply its status line and, for
 * a multi-line `+OK`, the body with the dot-stuffing removed and the CRLFs kept. Bodies are passed
 * on as byte ranges of the chunks (no copy, no allocation): a stuffed dot is removed inside the
 * chunk itself, so a chunk pushed belongs to the parser. Only lines that start with `.` cost a
 * search step, found with `Buffer.indexOf`, so the work does not depend on how TCP split the stream.
 */
import {
  type Pop3Bound,
  type Pop3Endpoint,
  type Pop3StatusLine,
  protocolError,
  responseTooLargeError,
} from './errors.js';

/** `single`: one status line. `multi`: a status line, then a body when it is `+OK`. `auth`: a status line that may also be a `+` continuation. */
export type Pop3ReplyKind = 'single' | 'multi' | 'auth';

/** What the parser tells the owner of one reply, in this order: status, body chunks, end. */
export interface Pop3ReplyHandler {
  readonly kind: Pop3ReplyKind;
  /** The command's verb, named in errors (never its arguments). */
  readonly verb?: string;
  /** The status line (for `multi` + `ok`, the body follows). */
  onStatus(status: Pop3StatusLine): void;
  /**
   * A piece of the dot-unstuffed body: bytes `start` to `end` of the socket's chunk (unstuffed in
   * place; the parser never changes them again). Given as a range, not a view, so that a consumer
   * copying into its own buffer allocates nothing per piece.
   */
  onBody?(chunk: Buffer, start: number, end: number): void;
  /** The body's terminating `.` line was read (only for `multi` replies that were `+OK`). */
  onEnd?(): void;
}

/** Options of {@link Pop3ResponseParser}. */
export interface Pop3ResponseParserOptions {
  /** For error messages. */
  endpoint: Pop3Endpoint;
  /** Longest status line accepted, in bytes (CRLF excluded). Default 8192 (RFC 2449 allows 512). */
  maxLineLength?: number;
  /**
   * Longest line accepted anywhere, a body line included (bodies themselves are not held here),
   * and the bound of status lines too when below `maxLineLength`. Default 16 MiB.
   */
  maxResponseBytes?: number;
}

const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;
const LF_DOT = Buffer.from('\n.', 'latin1');
const CR_BYTE = Buffer.from('\r', 'latin1');
const RESPONSE_CODE = /^\[([^\]\s]+)\]/;

/** Where the body scanner stands: inside a line, at a line start, after `.` or `.\r` at a line start. */
const BodyState = { MidLine: 0, LineStart: 1, Dot: 2, DotCr: 3 } as const;
type BodyState = (typeof BodyState)[keyof typeof BodyState];

/** The default bound of a status line. */
export const DEFAULT_MAX_LINE_LENGTH = 8192;

/** The default of `mail.<p>.maxResponseBytes`: the most of one reply a client holds in memory. */
export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/**
 * Splits a POP3 reply stream into replies for the handlers queued with `expect`, in order. Never
 * waits on anything: `push` consumes what it is given and throws `POP3_PROTOCOL_ERROR` on bytes
 * that are not POP3.
 */
export class Pop3ResponseParser<H extends Pop3ReplyHandler = Pop3ReplyHandler> {
  readonly #endpoint: Pop3Endpoint;
  /** The bound of a status line, and which setting sets it. */
  readonly #maxLineLength: number;
  readonly #lineBound: Pop3Bound;
  readonly #maxBodyLine: number;
  readonly #queue: H[] = [];
  /** Pieces of a status line split across chunks. */
  #partial: Buffer[] = [];
  #partialLength = 0;
  /** Set while the current reply's body is being read. */
  #inBody = false;
  #bodyState: BodyState = BodyState.LineStart;
  /** Bytes of the body line being read, from earlier chunks (a line is bounded, as status lines are). */
  #bodyLine = 0;
  /** Bytes that came before any reply was expected (held until one is). */
  #backlog: Buffer[] = [];
  #backlogLength = 0;
  #parsing = false;

  constructor(options: Pop3ResponseParserOptions) {
    this.#endpoint = options.endpoint;
    const maxLine = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
    this.#maxBodyLine = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.#maxLineLength = Math.min(maxLine, this.#maxBodyLine);
    this.#lineBound = maxLine <= this.#maxBodyLine ? 'line' : 'response';
  }

  /** Replies expected and not complete yet. */
  get pending(): number {
    return this.#queue.length;
  }

  /** The handler of the reply being read (or awaited), if any. */
  get current(): H | undefined {
    return this.#queue[0];
  }

  /** Queues the handler of the next reply (call it in the order the commands are written). */
  expect(handler: H): void {
    this.#queue.push(handler);
    if (!this.#parsing && this.#backlog.length > 0) {
      const held = this.#backlog;
      this.#backlog = [];
      this.#backlogLength = 0;
      for (const chunk of held) this.push(chunk);
    }
  }

  /** Removes and returns every queued handler (when the connection fails). */
  drain(): H[] {
    return this.#queue.splice(0);
  }

  /** Bytes received but not consumed by any reply, e.g. after STLS's `+OK` (must be none). */
  get buffered(): number {
    return this.#partialLength + this.#backlogLength;
  }

  /**
   * Feeds one chunk. Its bytes may be rewritten in place (dot-unstuffing), so do not read or push it
   * again afterwards. Throws a `ConnectionError` (`POP3_PROTOCOL_ERROR`) on malformed input.
   */
  push(chunk: Buffer): void {
    this.#parsing = true;
    try {
      let pos = 0;
      while (pos < chunk.length) {
        const handler = this.#queue[0];
        if (handler === undefined) {
          this.#hold(chunk.subarray(pos));
          return;
        }
        pos = this.#inBody ? this.#readBody(chunk, pos, handler) : this.#readStatus(chunk, pos, handler);
      }
    } finally {
      this.#parsing = false;
    }
  }

  #hold(rest: Buffer): void {
    this.#backlog.push(rest);
    this.#backlogLength += rest.length;
    if (this.#backlogLength > this.#maxLineLength) {
      throw protocolError(this.#endpoint, `it sent ${this.#backlogLength} bytes nobody asked for`);
    }
  }

  #readStatus(chunk: Buffer, pos: number, handler: H): number {
    const lf = chunk.indexOf(LF, pos);
    if (lf < 0) {
      this.#partial.push(chunk.subarray(pos));
      this.#partialLength += chunk.length - pos;
      this.#checkLength(this.#partialLength, handler);
      return chunk.length;
    }
    let line = chunk.subarray(pos, lf);
    if (this.#partial.length > 0) {
      this.#checkLength(this.#partialLength + line.length, handler);
      line = Buffer.concat([...this.#partial, line]);
      this.#partial = [];
      this.#partialLength = 0;
    }
    const end = line.length > 0 && line[line.length - 1] === CR ? line.length - 1 : line.length;
    this.#checkLength(end, handler);
    const status = this.#parseStatus(line.toString('utf8', 0, end), handler.kind);
    if (handler.kind === 'multi' && status.type === 'ok') {
      this.#inBody = true;
      this.#bodyState = BodyState.LineStart;
      this.#bodyLine = 0;
    } else {
      this.#queue.shift();
    }
    handler.onStatus(status);
    return lf + 1;
  }

  #checkLength(length: number, handler: H): void {
    if (length > this.#maxLineLength) {
      throw responseTooLargeError(this.#endpoint, this.#lineBound, this.#maxLineLength, verbOf(handler));
    }
  }

  #parseStatus(text: string, kind: Pop3ReplyKind): Pop3StatusLine {
    const type = statusType(text, kind);
    if (type === undefined) {
      throw protocolError(
        this.#endpoint,
        `a reply of ${text.length} characters is neither +OK nor -ERR${kind === 'auth' ? ' nor a + continuation' : ''}`,
      );
    }
    const rest = text.slice(type === 'ok' ? 4 : type === 'err' ? 5 : 2);
    const code = type === 'continue' ? undefined : RESPONSE_CODE.exec(rest)?.[1];
    return code === undefined ? { type, text: rest } : { type, text: rest, responseCode: code };
  }

  #readBody(chunk: Buffer, start: number, handler: H): number {
    let pos = start;
    const end = chunk.length;
    while (pos < end) {
      switch (this.#bodyState) {
        case BodyState.LineStart:
          if (chunk[pos] === DOT) {
            this.#bodyState = BodyState.Dot;
            pos += 1;
          } else {
            this.#bodyState = BodyState.MidLine;
          }
          break;
        case BodyState.Dot: {
          const byte = chunk[pos];
          if (byte === LF) return this.#finishBody(handler, pos + 1);
          if (byte === CR) {
            this.#bodyState = BodyState.DotCr;
            pos += 1;
          } else {
            // A stuffed line: the leading dot is dropped, the rest is the line.
            this.#bodyState = BodyState.MidLine;
          }
          break;
        }
        case BodyState.DotCr:
          if (chunk[pos] === LF) return this.#finishBody(handler, pos + 1);
          // `.\r` not followed by LF: the dot was stuffing, the CR is data.
          handler.onBody?.(CR_BYTE, 0, 1);
          this.#bodyState = BodyState.MidLine;
          break;
        case BodyState.MidLine: {
          // The hot loop: from one line that starts with a dot to the next. A stuffed dot is
          // dropped where it stands: what follows moves left over it (`copyWithin` stays inside
          // V8, unlike a copy into another buffer), and the compacted span goes out in one piece.
          const spanStart = pos;
          const endsLine = chunk[end - 1] === LF;
          let write = pos;
          for (;;) {
            const hit = nextLineDot(chunk, pos, end);
            const pieceEnd = hit < 0 ? end : hit + 1;
            if (write !== pos) chunk.copyWithin(write, pos, pieceEnd);
            write += pieceEnd - pos;
            if (hit < 0) {
              handler.onBody?.(chunk, spanStart, write);
              this.#bodyState = endsLine ? BodyState.LineStart : BodyState.MidLine;
              this.#measureBodyLine(chunk, spanStart, write, endsLine, handler);
              return end;
            }
            pos = hit + 2;
            const next = chunk[pos];
            // Anything but CR/LF after the dot is a stuffed line: drop the dot, stay mid-line.
            if (next === undefined || next === CR || next === LF) {
              handler.onBody?.(chunk, spanStart, write);
              this.#bodyState = BodyState.Dot;
              this.#bodyLine = 0;
              break;
            }
          }
          break;
        }
      }
    }
    return pos;
  }

  /**
   * Adds what a span left of an unfinished line to its length and refuses a line beyond the bound
   * (an endless line in a RETR body would otherwise grow every consumer that splits lines). Only the
   * span's tail is searched, backwards to its last LF: a few bytes for ordinary mail.
   */
  #measureBodyLine(chunk: Buffer, start: number, end: number, endsLine: boolean, handler: H): void {
    if (endsLine) {
      this.#bodyLine = 0;
      return;
    }
    const lf = end > start ? chunk.lastIndexOf(LF, end - 1) : -1;
    this.#bodyLine = lf >= start ? end - 1 - lf : this.#bodyLine + (end - start);
    if (this.#bodyLine > this.#maxBodyLine) {
      throw responseTooLargeError(this.#endpoint, 'response', this.#maxBodyLine, verbOf(handler));
    }
  }

  #finishBody(handler: H, next: number): number {
    this.#inBody = false;
    this.#queue.shift();
    handler.onEnd?.();
    return next;
  }
}

/**
 * Bytes searched in JavaScript for the next `\n.` before `Buffer.indexOf` takes over. Where dots
 * start every other line, a native call per stuffed line costs more than looking at the few bytes
 * up to it (the dot-heavy parse took 20% less time); ordinary mail pays one short scan per search.
 */
const NEAR_SCAN_BYTES = 256;

/** The index of the next `\n.` in `chunk` from `from` (before `end`), or -1. */
function nextLineDot(chunk: Buffer, from: number, end: number): number {
  const near = Math.min(end - 1, from + NEAR_SCAN_BYTES);
  for (let i = from; i < near; i++) if (chunk[i] === LF && chunk[i + 1] === DOT) return i;
  return near >= end - 1 ? -1 : chunk.indexOf(LF_DOT, near);
}

function verbOf(handler: Pop3ReplyHandler): string {
  return handler.verb ?? 'a command';
}

function statusType(text: string, kind: Pop3ReplyKind): Pop3StatusLine['type'] | undefined {
  if (text.startsWith('+OK') && (text.length === 3 || text[3] === ' ')) return 'ok';
  if (text.startsWith('-ERR') && (text.length === 4 || text[4] === ' ')) return 'err';
  if (kind === 'auth' && (text === '+' || text.startsWith('+ '))) return 'continue';
  return undefined;
}
