/**
 * A stored message as a Graph `message` resource. Properties come from three places: the store
 * (flags, dates, folder), the header section, and the body; a message is parsed (mailparser) only
 * as far as the selected properties need, and the result is cached per message bytes.
 */
import { createHash } from 'node:crypto';
import { type AddressObject, type ParsedMail, simpleParser } from 'mailparser';
import { GRAPH_ERRORS } from './errors.js';

/** What the view needs of a message: the store's facts and its bytes. */
export interface ViewedMessage {
  readonly id: string;
  readonly parentFolderId: string;
  readonly raw: Buffer;
  readonly flags: ReadonlySet<string>;
  /** When the store received it (IMAP INTERNALDATE; Graph's receivedDateTime). */
  readonly internalDate: Date;
  readonly lastModified?: Date;
}

/** Graph-only state of a message the store has no flag for, keyed by the message bytes (moves keep it). */
export interface MessageExtras {
  flagStatus?: 'complete';
  categories?: string[];
}

const extras = new WeakMap<Buffer, MessageExtras>();

export function messageExtras(raw: Buffer): MessageExtras {
  let found = extras.get(raw);
  if (!found) {
    found = {};
    extras.set(raw, found);
  }
  return found;
}

type Source = 'store' | 'headers' | 'body';

/** Every message property and where it comes from, in Graph's order (`$select` accepts these names). */
const PROPERTIES: Readonly<Record<string, Source>> = {
  createdDateTime: 'store',
  lastModifiedDateTime: 'store',
  changeKey: 'store',
  categories: 'store',
  receivedDateTime: 'store',
  sentDateTime: 'headers',
  hasAttachments: 'body',
  internetMessageId: 'headers',
  subject: 'headers',
  bodyPreview: 'body',
  importance: 'headers',
  parentFolderId: 'store',
  conversationId: 'headers',
  isDeliveryReceiptRequested: 'headers',
  isReadReceiptRequested: 'headers',
  isRead: 'store',
  isDraft: 'store',
  webLink: 'store',
  inferenceClassification: 'store',
  body: 'body',
  sender: 'headers',
  from: 'headers',
  toRecipients: 'headers',
  ccRecipients: 'headers',
  bccRecipients: 'headers',
  replyTo: 'headers',
  flag: 'store',
  internetMessageHeaders: 'headers',
};

/** Properties returned without `$select` (all but internetMessageHeaders, as Graph). */
const DEFAULT_PROPERTIES = Object.keys(PROPERTIES).filter((p) => p !== 'internetMessageHeaders');

/** The properties to return: `$select` checked against the message type, or the default set. */
export function messageProperties(select: readonly string[] | undefined): string[] {
  if (!select) return DEFAULT_PROPERTIES;
  for (const name of select) {
    if (name !== 'id' && !(name in PROPERTIES)) throw GRAPH_ERRORS.unknownProperty(name, 'message');
  }
  return Object.keys(PROPERTIES).filter((p) => select.includes(p));
}

interface Recipient {
  emailAddress: { name: string; address: string };
}

interface HeaderFacts {
  subject: string;
  from: Recipient[];
  sender: Recipient[];
  to: Recipient[];
  cc: Recipient[];
  bcc: Recipient[];
  replyTo: Recipient[];
  date: Date | undefined;
  messageId: string | undefined;
  importance: 'low' | 'normal' | 'high';
  readReceipt: boolean;
  deliveryReceipt: boolean;
  headers: { name: string; value: string }[];
}

interface BodyFacts {
  text: string;
  html: string | undefined;
  textAsHtml: string | undefined;
  hasAttachments: boolean;
}

const headerCache = new WeakMap<Buffer, Promise<HeaderFacts>>();
const bodyCache = new WeakMap<Buffer, Promise<BodyFacts>>();

/** The header section, blank line included (the whole message when it has no body). */
export function headerSection(raw: Buffer): Buffer {
  const crlf = raw.indexOf('\r\n\r\n');
  if (crlf >= 0) return raw.subarray(0, crlf + 4);
  const lf = raw.indexOf('\n\n');
  return lf >= 0 ? raw.subarray(0, lf + 2) : raw;
}

function recipients(field: AddressObject | AddressObject[] | undefined): Recipient[] {
  const objects = field === undefined ? [] : Array.isArray(field) ? field : [field];
  return objects
    .flatMap((o) => o.value)
    .flatMap((entry) => (entry.group ? entry.group : [entry]))
    .filter((entry) => Boolean(entry.address))
    .map((entry) => ({
      emailAddress: { name: entry.name || entry.address || '', address: entry.address ?? '' },
    }));
}

function headerText(parsed: ParsedMail, name: string): string | undefined {
  const value = parsed.headers.get(name);
  return typeof value === 'string' ? value : undefined;
}

function importanceOf(parsed: ParsedMail): HeaderFacts['importance'] {
  const importance = headerText(parsed, 'importance')?.toLowerCase();
  if (importance === 'high' || importance === 'low') return importance;
  const priority = Number.parseInt(headerText(parsed, 'x-priority') ?? '', 10);
  if (priority === 1 || priority === 2) return 'high';
  if (priority === 4 || priority === 5) return 'low';
  return 'normal';
}

/** Raw header fields as Graph's internetMessageHeaders (unfolded, in order). */
function rawHeaders(raw: Buffer): { name: string; value: string }[] {
  const text = headerSection(raw)
    .toString('utf8')
    .replace(/\r?\n[ \t]+/g, ' ');
  return text
    .split(/\r?\n/)
    .filter((line) => line.includes(':'))
    .map((line) => {
      const colon = line.indexOf(':');
      return { name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim() };
    });
}

function parseHeaders(raw: Buffer): Promise<HeaderFacts> {
  let cached = headerCache.get(raw);
  if (!cached) {
    cached = simpleParser(headerSection(raw), { skipHtmlToText: true, skipTextToHtml: true }).then(
      (parsed) => {
        const from = recipients(parsed.from);
        const sender = recipients(parsed.headers.get('sender') as AddressObject | undefined);
        return {
          subject: parsed.subject ?? '',
          from,
          sender: sender.length > 0 ? sender : from,
          to: recipients(parsed.to),
          cc: recipients(parsed.cc),
          bcc: recipients(parsed.bcc),
          replyTo: recipients(parsed.replyTo),
          date: parsed.date,
          messageId: parsed.messageId,
          importance: importanceOf(parsed),
          readReceipt: parsed.headers.has('disposition-notification-to'),
          deliveryReceipt: parsed.headers.has('return-receipt-to'),
          headers: rawHeaders(raw),
        };
      },
    );
    headerCache.set(raw, cached);
  }
  return cached;
}

function parseBody(raw: Buffer): Promise<BodyFacts> {
  let cached = bodyCache.get(raw);
  if (!cached) {
    cached = simpleParser(raw).then((parsed) => ({
      text: parsed.text ?? '',
      html: parsed.html === false ? undefined : parsed.html,
      textAsHtml: parsed.textAsHtml,
      hasAttachments: parsed.attachments.some(
        (a) => a.contentDisposition === 'attachment' || (!a.related && a.contentDisposition !== 'inline'),
      ),
    }));
    bodyCache.set(raw, cached);
  }
  return cached;
}

/** Graph's timestamp form: UTC, seconds, `Z`. */
export function graphDate(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function shortHash(text: string, bytes = 12): string {
  return createHash('sha256').update(text).digest().subarray(0, bytes).toString('base64');
}

function changeKeyOf(message: ViewedMessage): string {
  const extra = extras.get(message.raw);
  return `CQAAABYAAA${shortHash(`${[...message.flags].sort().join(' ')}|${extra?.flagStatus ?? ''}|${extra?.categories?.join(',') ?? ''}`)}`;
}

/** A change stamp: differs whenever anything Graph shows about the message may differ. */
export function messageVersion(message: { raw: Buffer; flags: ReadonlySet<string> }): string {
  const extra = extras.get(message.raw);
  return `${[...message.flags].sort().join(' ')}|${extra?.flagStatus ?? ''}|${extra?.categories?.join(',') ?? ''}`;
}

function flagStatus(message: ViewedMessage): 'notFlagged' | 'flagged' | 'complete' {
  if (message.flags.has('\\Flagged')) return 'flagged';
  return extras.get(message.raw)?.flagStatus === 'complete' ? 'complete' : 'notFlagged';
}

function preview(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 255);
}

function conversationTopic(subject: string): string {
  return subject.replace(/^\s*((re|fw|fwd|aw|wg|sv|vs)\s*:\s*)+/i, '').trim();
}

/** How the caller wants `body`: Prefer: outlook.body-content-type="text" or "html", else as sent. */
export type BodyPreference = 'text' | 'html' | undefined;

/** The Graph representation of `message` with `properties` (see `messageProperties`). */
export async function messageJson(
  message: ViewedMessage,
  properties: readonly string[],
  options: { bodyType: BodyPreference; webBase: string },
): Promise<Record<string, unknown>> {
  const sources = new Set(properties.map((p) => PROPERTIES[p]));
  const headers = sources.has('headers') ? await parseHeaders(message.raw) : undefined;
  const body = sources.has('body') ? await parseBody(message.raw) : undefined;
  const values: Record<string, () => unknown> = {
    createdDateTime: () => graphDate(message.internalDate),
    lastModifiedDateTime: () => graphDate(message.lastModified ?? message.internalDate),
    changeKey: () => changeKeyOf(message),
    categories: () => [...(extras.get(message.raw)?.categories ?? [])],
    receivedDateTime: () => graphDate(message.internalDate),
    sentDateTime: () => graphDate(headers?.date ?? message.internalDate),
    hasAttachments: () => body?.hasAttachments ?? false,
    internetMessageId: () => headers?.messageId ?? null,
    subject: () => headers?.subject ?? '',
    bodyPreview: () => preview(body?.text ?? ''),
    importance: () => headers?.importance ?? 'normal',
    parentFolderId: () => message.parentFolderId,
    conversationId: () => `AAQk${shortHash(conversationTopic(headers?.subject ?? '').toLowerCase(), 24)}`,
    isDeliveryReceiptRequested: () => headers?.deliveryReceipt ?? false,
    isReadReceiptRequested: () => headers?.readReceipt ?? false,
    isRead: () => message.flags.has('\\Seen'),
    isDraft: () => message.flags.has('\\Draft'),
    webLink: () =>
      `${options.webBase}/owa/?ItemID=${encodeURIComponent(message.id)}&exvsurl=1&viewmodel=ReadMessageItem`,
    inferenceClassification: () => 'focused',
    body: () => {
      const wantText = options.bodyType === 'text' || (options.bodyType === undefined && !body?.html);
      return wantText
        ? { contentType: 'text', content: body?.text ?? '' }
        : { contentType: 'html', content: body?.html ?? body?.textAsHtml ?? '' };
    },
    sender: () => headers?.sender[0] ?? null,
    from: () => headers?.from[0] ?? null,
    toRecipients: () => headers?.to ?? [],
    ccRecipients: () => headers?.cc ?? [],
    bccRecipients: () => headers?.bcc ?? [],
    replyTo: () => headers?.replyTo ?? [],
    flag: () => ({ flagStatus: flagStatus(message) }),
    internetMessageHeaders: () => headers?.headers ?? [],
  };
  const json: Record<string, unknown> = { '@odata.etag': `W/"${changeKeyOf(message)}"`, id: message.id };
  for (const property of properties) json[property] = values[property]?.();
  return json;
}

/** The addresses of To, Cc and Bcc, and of From (lower case), for sending. */
export async function envelopeOf(
  raw: Buffer,
): Promise<{ recipients: string[]; from: string[]; hasBcc: boolean }> {
  const headers = await parseHeaders(raw);
  const address = (r: Recipient) => r.emailAddress.address.toLowerCase();
  return {
    recipients: [...headers.to, ...headers.cc, ...headers.bcc].map(address),
    from: headers.from.map(address),
    hasBcc: headers.bcc.length > 0,
  };
}
