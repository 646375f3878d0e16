/**
 * The commands an IMAP client sends before login, framed from the byte stream (lines and `{n}`
 * literals, RFC 3501 §4.3) and split into a tag, a name and arguments. Only what logging in needs:
 * atoms, quoted strings, literals, NIL and parenthesised lists.
 */
import { type LineBuffer, LineTooLongError } from './line-buffer.js';

/** An argument: a string (atom, quoted or literal), `null` for NIL, or a list. */
export type ImapArgument = string | null | ImapArgument[];

export interface ImapCommand {
  tag: string;
  /** Upper case, e.g. `LOGIN`. */
  name: string;
  args: ImapArgument[];
}

/** One step of the framer. */
export type FramedStep =
  | { kind: 'command'; command: ImapCommand }
  /** The client announced a synchronising literal: answer `+` and it sends the bytes. */
  | { kind: 'literal' }
  /** Not IMAP; `tag` when one could be read. */
  | { kind: 'bad'; tag: string | undefined; reason: string };

interface Segment {
  text: string;
  literal?: Buffer;
}

const LITERAL = /\{(\d{1,10})(\+)?\}$/;
const TAG = /^[\x21\x23-\x27\x2a\x2c-\x5b\x5d-\x7a\x7c\x7e]+$/;
const ATOM_END = new Set([' ', '(', ')', '"']);

/**
 * Frames one command at a time from a {@link LineBuffer}, literals included. A command (its lines
 * and literals together) longer than `maxBytes` throws {@link LineTooLongError}.
 */
export class ImapCommandFramer {
  #segments: Segment[] = [];
  #used = 0;
  #literal: number | undefined;
  readonly #maxBytes: number;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** The next step, or undefined until more bytes arrive. */
  read(buffer: LineBuffer): FramedStep | undefined {
    for (;;) {
      if (this.#literal !== undefined) {
        const data = buffer.bytes(this.#literal);
        if (data === undefined) return undefined;
        (this.#segments[this.#segments.length - 1] as Segment).literal = data;
        this.#literal = undefined;
        continue;
      }
      const line = buffer.line();
      if (line === undefined) return undefined;
      this.#used += line.length + 2;
      if (this.#used > this.#maxBytes) throw new LineTooLongError(this.#maxBytes);
      const text = line.toString('utf8');
      const literal = LITERAL.exec(text);
      if (literal !== null) {
        const size = Number(literal[1]);
        this.#used += size;
        if (this.#used > this.#maxBytes) throw new LineTooLongError(this.#maxBytes);
        this.#segments.push({ text: text.slice(0, literal.index) });
        this.#literal = size;
        if (literal[2] === undefined) return { kind: 'literal' };
        continue;
      }
      this.#segments.push({ text });
      const segments = this.#segments;
      this.#segments = [];
      this.#used = 0;
      return parseCommand(segments);
    }
  }
}

class ImapSyntaxError extends Error {}

/** Tag, name and arguments of a framed command. */
function parseCommand(segments: readonly Segment[]): FramedStep {
  let tokens: ImapArgument[];
  try {
    tokens = tokenize(segments);
  } catch (error) {
    const first = segments[0]?.text.split(' ')[0];
    const tag = first !== undefined && TAG.test(first) ? first : undefined;
    return { kind: 'bad', tag, reason: (error as Error).message };
  }
  const [tag, name, ...args] = tokens;
  if (typeof tag !== 'string' || !TAG.test(tag))
    return { kind: 'bad', tag: undefined, reason: 'Missing tag.' };
  if (typeof name !== 'string' || name === '') return { kind: 'bad', tag, reason: 'Missing command.' };
  return { kind: 'command', command: { tag, name: name.toUpperCase(), args } };
}

function tokenize(segments: readonly Segment[]): ImapArgument[] {
  const root: ImapArgument[] = [];
  const stack: ImapArgument[][] = [root];
  const top = () => stack[stack.length - 1] as ImapArgument[];
  for (const { text, literal } of segments) {
    let i = 0;
    while (i < text.length) {
      const c = text[i] as string;
      if (c === ' ') {
        i += 1;
      } else if (c === '(') {
        const list: ImapArgument[] = [];
        top().push(list);
        stack.push(list);
        i += 1;
      } else if (c === ')') {
        if (stack.length === 1) throw new ImapSyntaxError('Unbalanced parenthesis.');
        stack.pop();
        i += 1;
      } else if (c === '"') {
        const [value, end] = quoted(text, i);
        top().push(value);
        i = end;
      } else {
        let end = i;
        while (end < text.length && !ATOM_END.has(text[end] as string)) end += 1;
        const atom = text.slice(i, end);
        top().push(atom.toUpperCase() === 'NIL' ? null : atom);
        i = end;
      }
    }
    if (literal !== undefined) top().push(literal.toString('utf8'));
  }
  if (stack.length !== 1) throw new ImapSyntaxError('Unbalanced parenthesis.');
  return root;
}

/** The quoted string starting at `start` (a `"`), and the index after its closing quote. */
function quoted(text: string, start: number): [string, number] {
  let value = '';
  let i = start + 1;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === '"') return [value, i + 1];
    if (c === '\\') {
      const next = text[i + 1];
      if (next !== '"' && next !== '\\') throw new ImapSyntaxError('Invalid escape in a quoted string.');
      value += next;
      i += 2;
      continue;
    }
    value += c;
    i += 1;
  }
  throw new ImapSyntaxError('Unterminated quoted string.');
}
