/** Where a multi-line reply's body goes: a stream (`retr()`) or one bounded buffer (everything else). */
import type { Pop3StatusLine } from './errors.js';

/** Receives a multi-line reply's body. */
export interface BodySink {
  /** The `+OK` status line, before the body (its octet count sizes the buffer). */
  begin?(status: Pop3StatusLine): void;
  /** Called per body piece; handed to the parser as is, so it must not need `this`. */
  readonly add: (chunk: Buffer, start: number, end: number) => void;
}

/** A server's octet count is a hint, not a promise: never preallocate more than this. */
const PREALLOCATION_LIMIT = 16 * 1024 * 1024;
const OCTETS = /^(\d{1,12})\b/;

/**
 * Copies a body into one buffer, sized by the `+OK <octets>` count when there is one, and never
 * larger than `limit`: the piece that would cross it throws `overflow()` instead of being copied
 * (the parser's caller then fails the connection), so a reply without end costs at most `limit`.
 */
export class BodyCollector {
  readonly #limit: number;
  readonly #overflow: () => Error;
  #target: Buffer | undefined;
  #length = 0;

  constructor(limit: number, overflow: () => Error) {
    this.#limit = limit;
    this.#overflow = overflow;
  }

  /** Bytes allocated for the body so far (what the collector holds), for tests of the bound. */
  get capacity(): number {
    return this.#target?.length ?? 0;
  }

  begin(status: Pop3StatusLine): void {
    const octets = OCTETS.exec(status.text);
    const size = octets ? Math.min(Number(octets[1]), PREALLOCATION_LIMIT, this.#limit) : 0;
    if (size > 0) this.#target = Buffer.allocUnsafe(size);
  }

  /** Copies bytes `start` to `end` of `chunk` (a prototype method: no closure per reply). */
  add(chunk: Buffer, start: number, end: number): void {
    const needed = this.#length + (end - start);
    if (needed > this.#limit) throw this.#overflow();
    let target = this.#target;
    if (target === undefined || target.length < needed) {
      const doubled = Math.max(needed, (target?.length ?? 0) * 2, 4096);
      const grown = Buffer.allocUnsafe(Math.min(doubled, this.#limit));
      target?.copy(grown, 0, 0, this.#length);
      target = grown;
      this.#target = grown;
    }
    chunk.copy(target, this.#length, start, end);
    this.#length = needed;
  }

  buffer(): Buffer {
    const target = this.#target;
    if (target === undefined) return Buffer.alloc(0);
    // A count far above the real size would otherwise keep the slack alive with the message.
    return this.#length < target.length / 2
      ? Buffer.from(target.subarray(0, this.#length))
      : target.subarray(0, this.#length);
  }

  text(): string {
    return this.buffer().toString('latin1');
  }
}
