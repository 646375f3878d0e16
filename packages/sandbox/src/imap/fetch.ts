/** FETCH data items: parsing the request and rendering one message's response. */
import type { StoredMessage } from '../contracts.js';
import { imapDateTime, type ResponsePart } from './format.js';
import { bodyStructure, envelope, findPart, headerFields, type MimePart, parseMime } from './mime.js';
import { flagList } from './selection.js';
import { type ImapArg, ImapSyntaxError } from './tokenizer.js';

/** One requested FETCH data item; `section` covers BODY[...], BODY.PEEK[...] and the RFC822 forms. */
export type FetchItem =
  | { kind: 'FLAGS' | 'UID' | 'INTERNALDATE' | 'RFC822.SIZE' | 'ENVELOPE' | 'BODYSTRUCTURE' | 'BODY' }
  | {
      kind: 'section';
      /** The name the response uses, e.g. `BODY[HEADER.FIELDS (SUBJECT)]` or `RFC822.HEADER`. */
      label: string;
      section: string;
      peek: boolean;
      partial?: { start: number; length?: number };
    };

const MACROS: Record<string, string[]> = {
  ALL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE'],
  FAST: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE'],
  FULL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODY'],
};
const SIMPLE = new Set(['FLAGS', 'UID', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODYSTRUCTURE', 'BODY']);
const BODY_ITEM = /^BODY(\.PEEK)?\[([^\]]*)\](?:<(\d+)(?:\.(\d+))?>)?$/i;
const SECTION =
  /^(?:(\d+(?:\.\d+)*)(?:\.(MIME|HEADER|TEXT|HEADER\.FIELDS(?:\.NOT)? \(.*\)))?|(HEADER|TEXT|HEADER\.FIELDS(?:\.NOT)? \(.*\)))?$/i;

function parseItem(text: string): FetchItem {
  const upper = text.toUpperCase();
  if (SIMPLE.has(upper)) return { kind: upper as 'FLAGS' };
  if (upper === 'RFC822') return { kind: 'section', label: 'RFC822', section: '', peek: false };
  if (upper === 'RFC822.HEADER')
    return { kind: 'section', label: 'RFC822.HEADER', section: 'HEADER', peek: true };
  if (upper === 'RFC822.TEXT') return { kind: 'section', label: 'RFC822.TEXT', section: 'TEXT', peek: false };
  const match = BODY_ITEM.exec(text);
  if (!match) throw new ImapSyntaxError(`Unknown FETCH item "${text}"`);
  const section = match[2]!.toUpperCase();
  if (!SECTION.test(section)) throw new ImapSyntaxError(`Invalid body section "${match[2]}"`);
  const start = match[3] === undefined ? undefined : Number(match[3]);
  const length = match[4] === undefined ? undefined : Number(match[4]);
  return {
    kind: 'section',
    label: `BODY[${section}]${start === undefined ? '' : `<${start}>`}`,
    section,
    peek: match[1] !== undefined,
    ...(start === undefined ? {} : { partial: { start, ...(length === undefined ? {} : { length }) } }),
  };
}

/** Parses the items argument of FETCH (a macro, one item, or a list); adds UID for UID FETCH. */
export function parseFetchItems(arg: ImapArg | undefined, byUid: boolean): FetchItem[] {
  if (!arg) throw new ImapSyntaxError('FETCH needs data items');
  let names: string[];
  if (arg.type === 'list') {
    names = arg.items.map((item) => {
      if (item.type !== 'atom') throw new ImapSyntaxError('Invalid FETCH item');
      return item.value;
    });
  } else {
    names = MACROS[arg.value.toUpperCase()] ?? [arg.value];
  }
  const items = names.map(parseItem);
  if (byUid && !items.some((i) => i.kind === 'UID')) items.unshift({ kind: 'UID' });
  return items;
}

/** True when the items read a body without PEEK, which sets \Seen. */
export function setsSeen(items: readonly FetchItem[]): boolean {
  return items.some((item) => item.kind === 'section' && !item.peek);
}

function sectionContent(root: MimePart, raw: Buffer, section: string): Buffer {
  if (section === '') return raw;
  const match = /^(\d+(?:\.\d+)*)?\.?(.*)$/.exec(section)!;
  const path = match[1] ? match[1].split('.').map(Number) : [];
  const rest = match[2] ?? '';
  let part: MimePart | undefined = root;
  if (path.length > 0) part = findPart(root, path);
  if (!part) return Buffer.alloc(0);
  if (rest === '') return part.body;
  if (rest === 'MIME') return part.header;
  // HEADER/TEXT of a numbered part address its enclosed message (message/rfc822).
  const message: MimePart | undefined = path.length > 0 ? part.message : part;
  if (!message) return Buffer.alloc(0);
  if (rest === 'HEADER') return message.header;
  if (rest === 'TEXT') return message.body;
  const fields = /^HEADER\.FIELDS(\.NOT)? \((.*)\)$/.exec(rest);
  if (!fields) return Buffer.alloc(0);
  const names = fields[2]!.split(/\s+/).filter(Boolean);
  return headerFields(message.header, names, fields[1] !== undefined);
}

/** Renders the parenthesised data of one `* n FETCH (...)` response. */
export function renderFetch(message: StoredMessage, items: readonly FetchItem[]): ResponsePart[] {
  let mime: MimePart | undefined;
  const parsed = (): MimePart => {
    mime ??= parseMime(message.raw);
    return mime;
  };
  const out: ResponsePart[] = ['('];
  items.forEach((item, index) => {
    if (index > 0) out.push(' ');
    switch (item.kind) {
      case 'FLAGS':
        out.push(`FLAGS ${flagList(message.flags)}`);
        break;
      case 'UID':
        out.push(`UID ${message.uid}`);
        break;
      case 'INTERNALDATE':
        out.push(`INTERNALDATE ${imapDateTime(message.internalDate)}`);
        break;
      case 'RFC822.SIZE':
        out.push(`RFC822.SIZE ${message.raw.length}`);
        break;
      case 'ENVELOPE':
        out.push('ENVELOPE ', envelope(parsed()));
        break;
      case 'BODYSTRUCTURE':
        out.push('BODYSTRUCTURE ', bodyStructure(parsed(), true));
        break;
      case 'BODY':
        out.push('BODY ', bodyStructure(parsed(), false));
        break;
      case 'section': {
        let content = item.section === '' ? message.raw : sectionContent(parsed(), message.raw, item.section);
        if (item.partial) {
          const end =
            item.partial.length === undefined ? undefined : item.partial.start + item.partial.length;
          content = content.subarray(Math.min(item.partial.start, content.length), end);
        }
        out.push(`${item.label} {${content.length}}\r\n`, content);
        break;
      }
    }
  });
  out.push(')');
  return out;
}
