/**
 * Just enough MIME for IMAP: splits a stored message into header/body and parts, and renders
 * ENVELOPE, BODY/BODYSTRUCTURE and body sections (RFC 3501 sections 6.4.5 and 7.4.2).
 */
import { imapString, list, nstring, type ResponsePart } from './format.js';

/** A message or body part, split into header and body, with its parsed Content-Type. */
export interface MimePart {
  /** Header block including the blank line that ends it. */
  readonly header: Buffer;
  readonly body: Buffer;
  readonly headers: ReadonlyMap<string, string>;
  readonly type: string;
  readonly subtype: string;
  readonly params: ReadonlyMap<string, string>;
  readonly children: readonly MimePart[];
  /** The enclosed message of a message/rfc822 part. */
  readonly message?: MimePart;
}

const HEADER_END = Buffer.from('\r\n\r\n');

/** Unfolded headers keyed by lower-case name; repeated headers keep the first value. */
export function parseHeaders(header: Buffer): Map<string, string> {
  const headers = new Map<string, string>();
  const unfolded = header.toString('utf8').replace(/\r?\n[ \t]+/g, ' ');
  for (const line of unfolded.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
  }
  return headers;
}

/** `text/plain; charset="utf-8"` → type, subtype and parameters (names lower case). */
function parseContentType(
  value: string | undefined,
  fallback: string,
): [string, string, Map<string, string>] {
  const [typePart = '', ...rest] = splitParams(value ?? fallback);
  const [type, subtype] = typePart.toLowerCase().split('/');
  const params = new Map<string, string>();
  for (const param of rest) {
    const eq = param.indexOf('=');
    if (eq > 0) params.set(param.slice(0, eq).trim().toLowerCase(), unquote(param.slice(eq + 1).trim()));
  }
  if (!type || !subtype) return parseContentType(fallback, fallback);
  return [type, subtype, params];
}

/** Splits on ';' outside quotes. */
function splitParams(value: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (const ch of value) {
    if (ch === '"') quoted = !quoted;
    if (ch === ';' && !quoted) {
      out.push(current.trim());
      current = '';
    } else {
      current += ch;
    }
  }
  out.push(current.trim());
  return out;
}

function unquote(value: string): string {
  return value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1).replace(/\\(.)/g, '$1') : value;
}

function splitHeader(raw: Buffer): [Buffer, Buffer] {
  if (raw.subarray(0, 2).toString() === '\r\n') return [raw.subarray(0, 2), raw.subarray(2)];
  const end = raw.indexOf(HEADER_END);
  if (end === -1) return [raw, Buffer.alloc(0)];
  return [raw.subarray(0, end + 4), raw.subarray(end + 4)];
}

/** Finds the parts between `--boundary` delimiter lines (the CRLF before a delimiter belongs to it). */
function splitMultipart(body: Buffer, boundary: string): Buffer[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const starts: { at: number; lineEnd: number; close: boolean }[] = [];
  let from = 0;
  for (;;) {
    const at = body.indexOf(delimiter, from);
    if (at === -1) break;
    from = at + delimiter.length;
    if (at !== 0 && (body[at - 1] !== 0x0a || body[at - 2] !== 0x0d)) continue;
    const close = body[from] === 0x2d && body[from + 1] === 0x2d;
    const lf = body.indexOf(0x0a, from);
    starts.push({ at, lineEnd: lf === -1 ? body.length : lf + 1, close });
    if (close) break;
  }
  const parts: Buffer[] = [];
  for (let i = 0; i < starts.length - 1; i++) {
    const current = starts[i]!;
    if (current.close) break;
    const next = starts[i + 1]!;
    parts.push(body.subarray(current.lineEnd, Math.max(current.lineEnd, next.at - 2)));
  }
  return parts;
}

/** Parses a message (or a body part) into its MIME tree. */
export function parseMime(raw: Buffer, defaultType = 'text/plain'): MimePart {
  const [header, body] = splitHeader(raw);
  const headers = parseHeaders(header);
  const [type, subtype, params] = parseContentType(headers.get('content-type'), defaultType);
  let children: MimePart[] = [];
  let message: MimePart | undefined;
  const boundary = params.get('boundary');
  if (type === 'multipart' && boundary) {
    const childDefault = subtype === 'digest' ? 'message/rfc822' : 'text/plain';
    children = splitMultipart(body, boundary).map((part) => parseMime(part, childDefault));
  } else if (type === 'message' && subtype === 'rfc822') {
    message = parseMime(body);
  }
  return { header, body, headers, type, subtype, params, children, ...(message ? { message } : {}) };
}

/** Walks a part path like `1.2` (1-based); a non-multipart message has only part 1 (its body). */
export function findPart(root: MimePart, path: readonly number[]): MimePart | undefined {
  let part: MimePart = root;
  for (let depth = 0; depth < path.length; depth++) {
    const index = path[depth]!;
    const container: MimePart = depth === 0 ? root : (part.message ?? part);
    let next: MimePart | undefined;
    if (container.children.length > 0) next = container.children[index - 1];
    else if (index === 1 && (depth === 0 || part.message)) next = container;
    if (!next) return undefined;
    part = next;
  }
  return part;
}

function countLines(body: Buffer): number {
  let lines = 0;
  for (let at = body.indexOf(0x0a); at !== -1; at = body.indexOf(0x0a, at + 1)) lines++;
  if (body.length > 0 && body[body.length - 1] !== 0x0a) lines++;
  return lines;
}

function paramList(params: ReadonlyMap<string, string>): ResponsePart {
  if (params.size === 0) return 'NIL';
  return list([...params].flatMap(([key, value]) => [imapString(key.toUpperCase()), imapString(value)]));
}

function disposition(part: MimePart): ResponsePart {
  const value = part.headers.get('content-disposition');
  if (!value) return 'NIL';
  const [kind = '', ...rest] = splitParams(value);
  const params = new Map<string, string>();
  for (const param of rest) {
    const eq = param.indexOf('=');
    if (eq > 0) params.set(param.slice(0, eq).trim().toLowerCase(), unquote(param.slice(eq + 1).trim()));
  }
  return list([imapString(kind.toUpperCase()), paramList(params)]);
}

/** BODY (`extended = false`) or BODYSTRUCTURE (`extended = true`) of a part. */
export function bodyStructure(part: MimePart, extended: boolean): ResponsePart {
  if (part.children.length > 0) {
    const items: ResponsePart[] = part.children.map((child) => bodyStructure(child, extended));
    const out: ResponsePart[] = ['(', ...items, ' ', imapString(part.subtype.toUpperCase())];
    if (extended) out.push(' ', paramList(part.params), ' ', disposition(part), ' NIL NIL');
    out.push(')');
    return out;
  }
  const fields: ResponsePart[] = [
    imapString(part.type.toUpperCase()),
    imapString(part.subtype.toUpperCase()),
    paramList(part.params),
    nstring(part.headers.get('content-id')),
    nstring(part.headers.get('content-description')),
    imapString((part.headers.get('content-transfer-encoding') ?? '7BIT').toUpperCase()),
    String(part.body.length),
  ];
  if (part.message) {
    fields.push(envelope(part.message), bodyStructure(part.message, extended), String(countLines(part.body)));
  } else if (part.type === 'text') {
    fields.push(String(countLines(part.body)));
  }
  if (extended) fields.push(nstring(part.headers.get('content-md5')), disposition(part), 'NIL', 'NIL');
  return list(fields);
}

/** An RFC 5322 mailbox as ENVELOPE lists it: display name, local part and domain. */
interface Address {
  name?: string;
  mailbox: string;
  host: string;
}

/** Parses an address list (`"Doe, J" <j@x.test>, k@y.test, Group: a@b.test;`), groups flattened. */
export function parseAddresses(value: string | undefined): Address[] {
  if (!value) return [];
  const tokens: string[] = [];
  let current = '';
  let quoted = false;
  let angle = false;
  for (const ch of value) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === '<') angle = true;
    else if (!quoted && ch === '>') angle = false;
    if (!quoted && !angle && (ch === ',' || ch === ';')) {
      tokens.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  tokens.push(current);
  const addresses: Address[] = [];
  for (let token of tokens) {
    token = token.replace(/^[^"<]*:/, '').trim();
    if (!token) continue;
    const angled = /^(.*?)<([^>]*)>/.exec(token);
    const spec = (angled ? angled[2]! : token).trim();
    const name = angled ? unquote(angled[1]!.trim()) : undefined;
    const at = spec.lastIndexOf('@');
    addresses.push({
      ...(name ? { name } : {}),
      mailbox: at === -1 ? spec : spec.slice(0, at),
      host: at === -1 ? '' : spec.slice(at + 1),
    });
  }
  return addresses;
}

function addressList(value: string | undefined): ResponsePart {
  const addresses = parseAddresses(value);
  if (addresses.length === 0) return 'NIL';
  return list(
    addresses.map((a) =>
      list([nstring(a.name), 'NIL', imapString(a.mailbox), a.host ? imapString(a.host) : 'NIL']),
    ),
  );
}

/** ENVELOPE of a message (header values raw, as IMAP servers send them). */
export function envelope(message: MimePart): ResponsePart {
  const h = message.headers;
  const from = h.get('from');
  return list([
    nstring(h.get('date')),
    nstring(h.get('subject')),
    addressList(from),
    addressList(h.get('sender') ?? from),
    addressList(h.get('reply-to') ?? from),
    addressList(h.get('to')),
    addressList(h.get('cc')),
    addressList(h.get('bcc')),
    nstring(h.get('in-reply-to')),
    nstring(h.get('message-id')),
  ]);
}

/** The header lines whose names are (or with `not`, are not) in `names`, plus the blank line. */
export function headerFields(header: Buffer, names: readonly string[], not: boolean): Buffer {
  const wanted = new Set(names.map((n) => n.toLowerCase()));
  const lines = header.toString('utf8').split('\r\n');
  const kept: string[] = [];
  let keep = false;
  for (const line of lines) {
    if (line === '') continue;
    if (/^[ \t]/.test(line)) {
      if (keep) kept.push(line);
      continue;
    }
    const name = line.slice(0, line.indexOf(':')).trim().toLowerCase();
    keep = wanted.has(name) !== not;
    if (keep) kept.push(line);
  }
  return Buffer.from(`${kept.map((l) => `${l}\r\n`).join('')}\r\n`);
}
