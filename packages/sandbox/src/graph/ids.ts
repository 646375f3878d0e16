/**
 * Graph ids for the store's folders and messages. Exchange's REST ids are opaque base64 strings
 * with `/` written `-` and `+` written `_`, padding kept (so they need URL-encoding in paths);
 * these are too. A message id names its folder's UIDVALIDITY and its UID, so a move gives a new
 * id, as Exchange's default (mutable) ids do.
 */
import { GRAPH_ERRORS } from './errors.js';

/** What an id points at. */
export type GraphRef =
  | { kind: 'root'; mailbox: string }
  | { kind: 'folder'; mailbox: string; uidValidity: number }
  | { kind: 'message'; mailbox: string; uidValidity: number; uid: number }
  | { kind: 'draft'; mailbox: string; key: string };

const TAGS = { root: 'R', folder: 'F', message: 'M', draft: 'D' } as const;
const PREFIX = { root: 'AQMk', folder: 'AQMk', message: 'AAMk', draft: 'AAMk' } as const;

function toRestBase64(bytes: Buffer): string {
  return bytes.toString('base64').replaceAll('/', '-').replaceAll('+', '_');
}

function fromRestBase64(text: string): Buffer {
  return Buffer.from(text.replaceAll('-', '/').replaceAll('_', '+'), 'base64');
}

/** The id of `ref`. */
export function encodeId(ref: GraphRef): string {
  const parts: (string | number)[] = [TAGS[ref.kind], ref.mailbox];
  if (ref.kind === 'folder') parts.push(ref.uidValidity);
  if (ref.kind === 'message') parts.push(ref.uidValidity, ref.uid);
  if (ref.kind === 'draft') parts.push(ref.key);
  return PREFIX[ref.kind] + toRestBase64(Buffer.from(`kalisto\u0000${parts.join('\u0000')}`, 'utf8'));
}

/** What `id` points at; throws 400 ErrorInvalidIdMalformed for anything that is not one of ours. */
export function decodeId(id: string): GraphRef {
  const malformed = GRAPH_ERRORS.idMalformed;
  if (id.length < 8 || !/^(AQMk|AAMk)[A-Za-z0-9_=-]+$/.test(id)) throw malformed();
  const [magic, tag, mailbox = '', a, b] = fromRestBase64(id.slice(4)).toString('utf8').split('\u0000');
  if (magic !== 'kalisto' || !mailbox) throw malformed();
  const int = (text: string | undefined) => {
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n < 0) throw malformed();
    return n;
  };
  switch (tag) {
    case TAGS.root:
      return { kind: 'root', mailbox };
    case TAGS.folder:
      return { kind: 'folder', mailbox, uidValidity: int(a) };
    case TAGS.message:
      return { kind: 'message', mailbox, uidValidity: int(a), uid: int(b) };
    case TAGS.draft:
      if (!a) throw malformed();
      return { kind: 'draft', mailbox, key: a };
    default:
      throw malformed();
  }
}
