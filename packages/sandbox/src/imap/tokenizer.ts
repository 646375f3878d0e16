/**
 * Turns a framed command into a tag, a command name and typed arguments (RFC 3501 section 9):
 * atoms (including FETCH items like `BODY.PEEK[HEADER.FIELDS (FROM)]<0.100>`), quoted strings,
 * literals and parenthesised lists.
 */
import type { FramedCommand } from './command-reader.js';

/** A command argument: atom (also NIL and FETCH items), string (quoted or literal) or list. */
export type ImapArg =
  | { readonly type: 'atom'; readonly value: string }
  | { readonly type: 'string'; readonly value: string; readonly bytes: Buffer }
  | { readonly type: 'list'; readonly items: ImapArg[] };

/** A tagged client command with its typed arguments. */
export interface ParsedCommand {
  tag: string;
  /** Upper case; `UID FETCH` etc. keep the `UID ` prefix. */
  name: string;
  args: ImapArg[];
}

/** A syntax error in a client command; answered with a tagged (or untagged) BAD. */
export class ImapSyntaxError extends Error {
  constructor(
    message: string,
    readonly tag?: string,
  ) {
    super(message);
    this.name = 'ImapSyntaxError';
  }
}

const TAG = /^[\x21-\x7e]+$/;
const ATOM_STOP = new Set([' ', '(', ')', '{', '"', '\r', '\n']);

class Cursor {
  line = 0;
  pos = 0;
  constructor(readonly command: FramedCommand) {}

  get text(): string {
    return this.command.lines[this.line]!;
  }

  atEnd(): boolean {
    return this.pos >= this.text.length && this.line >= this.command.literals.length;
  }

  peek(): string | undefined {
    return this.text[this.pos];
  }
}

function readQuoted(cursor: Cursor): ImapArg {
  let value = '';
  cursor.pos++;
  while (cursor.pos < cursor.text.length) {
    const ch = cursor.text[cursor.pos++]!;
    if (ch === '"') return { type: 'string', value, bytes: Buffer.from(value) };
    if (ch === '\\') {
      const next = cursor.text[cursor.pos++];
      if (next !== '"' && next !== '\\') throw new ImapSyntaxError('Invalid escape in quoted string');
      value += next;
    } else {
      value += ch;
    }
  }
  throw new ImapSyntaxError('Unterminated quoted string');
}

function readLiteral(cursor: Cursor): ImapArg {
  const close = cursor.text.indexOf('}', cursor.pos);
  if (close !== cursor.text.length - 1 || cursor.line >= cursor.command.literals.length) {
    throw new ImapSyntaxError('Literal must end the line');
  }
  const bytes = cursor.command.literals[cursor.line]!;
  cursor.line++;
  cursor.pos = 0;
  return { type: 'string', value: bytes.toString('utf8'), bytes };
}

function readAtom(cursor: Cursor): { type: 'atom'; value: string } {
  const text = cursor.text;
  const start = cursor.pos;
  let depth = 0;
  while (cursor.pos < text.length) {
    const ch = text[cursor.pos]!;
    if (ch === '[') depth++;
    else if (ch === ']') depth = Math.max(0, depth - 1);
    else if (depth === 0 && ATOM_STOP.has(ch)) break;
    cursor.pos++;
  }
  if (depth > 0) throw new ImapSyntaxError('Unbalanced "[" in argument');
  if (cursor.pos === start) throw new ImapSyntaxError(`Unexpected character "${text[start]}"`);
  return { type: 'atom', value: text.slice(start, cursor.pos) };
}

function readList(cursor: Cursor): ImapArg {
  cursor.pos++;
  const items: ImapArg[] = [];
  for (;;) {
    if (cursor.pos >= cursor.text.length) throw new ImapSyntaxError('Unterminated list');
    const ch = cursor.peek();
    if (ch === ')') {
      cursor.pos++;
      return { type: 'list', items };
    }
    if (ch === ' ' && items.length > 0) cursor.pos++;
    items.push(readValue(cursor));
  }
}

function readValue(cursor: Cursor): ImapArg {
  const ch = cursor.peek();
  if (ch === '(') return readList(cursor);
  if (ch === '"') return readQuoted(cursor);
  if (ch === '{') return readLiteral(cursor);
  return readAtom(cursor);
}

/** The tag of a command line, if it has a usable one (for a BAD that names it). */
export function tagOf(line: string): string | undefined {
  const tag = line.split(' ', 1)[0];
  return tag && TAG.test(tag) && !/[(){%*"\\\]]/.test(tag) ? tag : undefined;
}

/** Parses a whole command; throws ImapSyntaxError (with the tag when known). */
export function parseCommand(command: FramedCommand): ParsedCommand {
  const first = command.lines[0] ?? '';
  const tag = tagOf(first);
  if (!tag) throw new ImapSyntaxError('Invalid tag');
  const cursor = new Cursor(command);
  cursor.pos = tag.length;
  try {
    if (cursor.peek() !== ' ') throw new ImapSyntaxError('Missing command');
    cursor.pos++;
    let name = readAtom(cursor).value.toUpperCase();
    if (!/^[A-Z][A-Z0-9.-]*$/.test(name)) throw new ImapSyntaxError('Invalid command name');
    if (name === 'UID') {
      if (cursor.peek() !== ' ') throw new ImapSyntaxError('UID needs a command');
      cursor.pos++;
      name = `UID ${readAtom(cursor).value.toUpperCase()}`;
    }
    const args: ImapArg[] = [];
    while (!cursor.atEnd()) {
      if (cursor.peek() !== ' ') throw new ImapSyntaxError('Expected a space between arguments');
      cursor.pos++;
      args.push(readValue(cursor));
    }
    return { tag, name, args };
  } catch (error) {
    if (error instanceof ImapSyntaxError) throw new ImapSyntaxError(error.message, tag);
    throw error;
  }
}

/** The text of an atom or string argument, or undefined for a list. */
export function argText(arg: ImapArg | undefined): string | undefined {
  if (!arg || arg.type === 'list') return undefined;
  return arg.value;
}
