/** SEARCH criteria (RFC 3501 section 6.4.4) compiled into a predicate over stored messages. */
import type { StoredMessage } from '../contracts.js';
import { parseImapDate } from './format.js';
import { parseHeaders } from './mime.js';
import { inRanges, parseSequenceSet, type Range } from './sequence-set.js';
import { type ImapArg, ImapSyntaxError } from './tokenizer.js';

/** What a search key may look at for one message of the selected folder. */
export interface SearchContext {
  message: StoredMessage;
  seq: number;
  maxSeq: number;
  maxUid: number;
}

/** A compiled SEARCH: true when the message matches. */
export type SearchPredicate = (context: SearchContext) => boolean;

const FLAG_KEYS: Record<string, [flag: string, present: boolean]> = {
  ANSWERED: ['\\Answered', true],
  DELETED: ['\\Deleted', true],
  DRAFT: ['\\Draft', true],
  FLAGGED: ['\\Flagged', true],
  SEEN: ['\\Seen', true],
  UNANSWERED: ['\\Answered', false],
  UNDELETED: ['\\Deleted', false],
  UNDRAFT: ['\\Draft', false],
  UNFLAGGED: ['\\Flagged', false],
  UNSEEN: ['\\Seen', false],
  OLD: ['\\Recent', false],
};

const headerCache = new WeakMap<Buffer, Map<string, string>>();

function headersOf(message: StoredMessage): Map<string, string> {
  let headers = headerCache.get(message.raw);
  if (!headers) {
    const end = message.raw.indexOf('\r\n\r\n');
    headers = parseHeaders(end === -1 ? message.raw : message.raw.subarray(0, end + 2));
    headerCache.set(message.raw, headers);
  }
  return headers;
}

function bodyOf(message: StoredMessage): Buffer {
  const end = message.raw.indexOf('\r\n\r\n');
  return end === -1 ? Buffer.alloc(0) : message.raw.subarray(end + 4);
}

const contains = (haystack: string | undefined, needle: string): boolean =>
  haystack?.toLowerCase().includes(needle.toLowerCase()) === true;

const utcDay = (date: Date): number => Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());

function sentDate(message: StoredMessage): Date {
  const parsed = Date.parse(headersOf(message).get('date') ?? '');
  return Number.isNaN(parsed) ? message.internalDate : new Date(parsed);
}

/** A set's ranges depend on `*`, which is fixed for one SEARCH: parse once per maximum. */
function memoRanges(set: string): (max: number) => Range[] {
  let cachedMax = -1;
  let cached: Range[] = [];
  return (max) => {
    if (max !== cachedMax) {
      cached = parseSequenceSet(set, max)!;
      cachedMax = max;
    }
    return cached;
  };
}

class KeyReader {
  index = 0;
  constructor(private readonly args: readonly ImapArg[]) {}

  more(): boolean {
    return this.index < this.args.length;
  }

  next(): ImapArg {
    const arg = this.args[this.index++];
    if (!arg) throw new ImapSyntaxError('Missing search argument');
    return arg;
  }

  text(): string {
    const arg = this.next();
    if (arg.type === 'list') throw new ImapSyntaxError('Expected a string in SEARCH');
    return arg.value;
  }

  number(): number {
    const value = this.text();
    if (!/^\d+$/.test(value)) throw new ImapSyntaxError(`Expected a number in SEARCH, got "${value}"`);
    return Number(value);
  }

  date(): number {
    const value = this.text();
    const date = parseImapDate(value);
    if (!date) throw new ImapSyntaxError(`Invalid date "${value}" in SEARCH`);
    return date.getTime();
  }
}

function readKey(reader: KeyReader): SearchPredicate {
  const arg = reader.next();
  if (arg.type === 'list') return compileAll(new KeyReader(arg.items));
  const key = arg.value.toUpperCase();
  const flagKey = FLAG_KEYS[key];
  if (flagKey) {
    const [flag, present] = flagKey;
    return ({ message }) => message.flags.has(flag) === present;
  }
  switch (key) {
    case 'ALL':
      return () => true;
    case 'NEW':
    case 'RECENT':
      return () => false;
    case 'KEYWORD': {
      const flag = reader.text();
      return ({ message }) => message.flags.has(flag);
    }
    case 'UNKEYWORD': {
      const flag = reader.text();
      return ({ message }) => !message.flags.has(flag);
    }
    case 'FROM':
    case 'TO':
    case 'CC':
    case 'BCC':
    case 'SUBJECT': {
      const name = key.toLowerCase();
      const needle = reader.text();
      return ({ message }) => contains(headersOf(message).get(name), needle);
    }
    case 'HEADER': {
      const name = reader.text().toLowerCase();
      const needle = reader.text();
      return ({ message }) => contains(headersOf(message).get(name), needle);
    }
    case 'BODY': {
      const needle = reader.text();
      return ({ message }) => contains(bodyOf(message).toString('utf8'), needle);
    }
    case 'TEXT': {
      const needle = reader.text();
      return ({ message }) => contains(message.raw.toString('utf8'), needle);
    }
    case 'SINCE': {
      const day = reader.date();
      return ({ message }) => utcDay(message.internalDate) >= day;
    }
    case 'BEFORE': {
      const day = reader.date();
      return ({ message }) => utcDay(message.internalDate) < day;
    }
    case 'ON': {
      const day = reader.date();
      return ({ message }) => utcDay(message.internalDate) === day;
    }
    case 'SENTSINCE': {
      const day = reader.date();
      return ({ message }) => utcDay(sentDate(message)) >= day;
    }
    case 'SENTBEFORE': {
      const day = reader.date();
      return ({ message }) => utcDay(sentDate(message)) < day;
    }
    case 'SENTON': {
      const day = reader.date();
      return ({ message }) => utcDay(sentDate(message)) === day;
    }
    case 'LARGER': {
      const size = reader.number();
      return ({ message }) => message.raw.length > size;
    }
    case 'SMALLER': {
      const size = reader.number();
      return ({ message }) => message.raw.length < size;
    }
    case 'UID': {
      const set = reader.text();
      if (parseSequenceSet(set, 1) === undefined) throw new ImapSyntaxError(`Invalid UID set "${set}"`);
      const ranges = memoRanges(set);
      return ({ message, maxUid }) => inRanges(ranges(maxUid), message.uid);
    }
    case 'NOT': {
      const inner = readKey(reader);
      return (context) => !inner(context);
    }
    case 'OR': {
      const left = readKey(reader);
      const right = readKey(reader);
      return (context) => left(context) || right(context);
    }
    default: {
      if (parseSequenceSet(key, 1) === undefined)
        throw new ImapSyntaxError(`Unknown search key "${arg.value}"`);
      const ranges = memoRanges(key);
      return ({ seq, maxSeq }) => inRanges(ranges(maxSeq), seq);
    }
  }
}

function compileAll(reader: KeyReader): SearchPredicate {
  const predicates: SearchPredicate[] = [];
  while (reader.more()) predicates.push(readKey(reader));
  if (predicates.length === 0) throw new ImapSyntaxError('Empty search criteria');
  return (context) => predicates.every((p) => p(context));
}

/** Compiles SEARCH arguments (an optional `CHARSET x` first); throws ImapSyntaxError. */
export function compileSearch(args: readonly ImapArg[]): SearchPredicate {
  let rest = args;
  const first = args[0];
  if (first?.type === 'atom' && first.value.toUpperCase() === 'CHARSET') rest = args.slice(2);
  return compileAll(new KeyReader(rest));
}
