/** Rendering of IMAP response values: quoted strings, literals, NIL and lists. */

/** A quoted string, or a literal when the text cannot be quoted (CR, LF, 8-bit, very long). */
export function imapString(value: string | Buffer): string | Buffer[] {
  const text = typeof value === 'string' ? value : value.toString('utf8');
  if (typeof value === 'string' && text.length < 1024 && !/[\r\n\0\x80-\uffff]/.test(text)) {
    return `"${text.replace(/[\\"]/g, '\\$&')}"`;
  }
  const bytes = typeof value === 'string' ? Buffer.from(value) : value;
  return [Buffer.from(`{${bytes.length}}\r\n`), bytes];
}

/** A string or NIL. */
export function nstring(value: string | Buffer | undefined | null): string | Buffer[] {
  return value === undefined || value === null ? 'NIL' : imapString(value);
}

/** Response parts: strings and buffers (literals) to be concatenated on the wire. */
export type ResponsePart = string | Buffer | ResponsePart[];

/** Flattens parts into one buffer. */
export function toWire(parts: ResponsePart): Buffer {
  const chunks: Buffer[] = [];
  const walk = (part: ResponsePart): void => {
    if (typeof part === 'string') chunks.push(Buffer.from(part));
    else if (Buffer.isBuffer(part)) chunks.push(part);
    else for (const p of part) walk(p);
  };
  walk(parts);
  return Buffer.concat(chunks);
}

/** `(a b c)` of already rendered parts. */
export function list(items: readonly ResponsePart[]): ResponsePart[] {
  const out: ResponsePart[] = ['('];
  items.forEach((item, i) => {
    if (i > 0) out.push(' ');
    out.push(item);
  });
  out.push(')');
  return out;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** IMAP date-time, e.g. `"17-Jul-1996 02:44:25 +0000"` (UTC). */
export function imapDateTime(date: Date): string {
  return `"${pad(date.getUTCDate())}-${MONTHS[date.getUTCMonth()]}-${date.getUTCFullYear()} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000"`;
}

/** Parses an IMAP date (`1-Feb-1994`) or date-time (`17-Jul-1996 02:44:25 -0700`). */
export function parseImapDate(text: string): Date | undefined {
  const match = /^\s?(\d{1,2})-([A-Za-z]{3})-(\d{4})(?: (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2}))?$/.exec(
    text,
  );
  if (!match) return undefined;
  const month = MONTHS.findIndex((m) => m.toLowerCase() === match[2]!.toLowerCase());
  if (month < 0) return undefined;
  const [, day, , year, hh = '0', mm = '0', ss = '0', sign = '+', zh = '0', zm = '0'] = match;
  const offset = (sign === '-' ? -1 : 1) * (Number(zh) * 60 + Number(zm));
  const utc =
    Date.UTC(Number(year), month, Number(day), Number(hh), Number(mm), Number(ss)) - offset * 60_000;
  return new Date(utc);
}
