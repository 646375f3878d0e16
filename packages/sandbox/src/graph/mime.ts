/**
 * The MIME work Graph's send path needs: removing Bcc from delivered copies (every other byte
 * kept), rendering a JSON message as MIME, and adding file attachments to a message — around an
 * existing MIME body without touching its bytes. Text is handled as latin1 so bytes round-trip.
 */
import { randomBytes, randomUUID } from 'node:crypto';

/** A file attachment to render. */
export interface MimeAttachment {
  name: string;
  contentType: string;
  content: Buffer;
  isInline: boolean;
  contentId?: string;
}

export interface MimeAddress {
  name?: string;
  address: string;
}

/** A JSON (Graph) message reduced to what the MIME needs. */
export interface MimeMessageInput {
  from: MimeAddress;
  sender?: MimeAddress;
  to: readonly MimeAddress[];
  cc: readonly MimeAddress[];
  bcc: readonly MimeAddress[];
  replyTo: readonly MimeAddress[];
  subject: string;
  body: { contentType: 'text' | 'html'; content: string };
  importance?: 'low' | 'normal' | 'high';
  headers: readonly { name: string; value: string }[];
  date: Date;
}

interface Split {
  eol: string;
  /** Header fields, each with its folded continuation lines, without line ends. */
  fields: string[];
  /** Everything after the blank line. */
  body: string;
}

function split(raw: Buffer): Split {
  const text = raw.toString('latin1');
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const end = text.indexOf(`${eol}${eol}`);
  const head = end < 0 ? text : text.slice(0, end);
  const body = end < 0 ? '' : text.slice(end + eol.length * 2);
  const fields: string[] = [];
  for (const line of head.split(eol)) {
    if (/^[ \t]/.test(line) && fields.length > 0) fields[fields.length - 1] += `${eol}${line}`;
    else fields.push(line);
  }
  return { eol, fields, body };
}

function join({ eol, fields, body }: Split): Buffer {
  return Buffer.from(`${fields.join(eol)}${eol}${eol}${body}`, 'latin1');
}

function fieldName(field: string): string {
  return field
    .slice(0, Math.max(field.indexOf(':'), 0))
    .trim()
    .toLowerCase();
}

/** The message without its Bcc header field; every other byte as it was. */
export function withoutBcc(raw: Buffer): Buffer {
  const parts = split(raw);
  if (!parts.fields.some((f) => fieldName(f) === 'bcc')) return raw;
  return join({ ...parts, fields: parts.fields.filter((f) => fieldName(f) !== 'bcc') });
}

function encodeWord(text: string): string {
  return /^[\x20-\x7e]*$/.test(text) ? text : `=?UTF-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;
}

function formatAddress({ name, address }: MimeAddress): string {
  if (!name || name === address) return `<${address}>`;
  const encoded = encodeWord(name);
  const display =
    encoded === name && /[^\w !#$%&'*+\-/=?^`{|}~]/.test(name)
      ? `"${name.replace(/["\\]/g, '\\$&')}"`
      : encoded;
  return `${display} <${address}>`;
}

function base64Lines(content: Buffer, eol: string): string {
  return (content.toString('base64').match(/.{1,76}/g) ?? []).join(eol);
}

function rfc5322Date(date: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const two = (n: number) => String(n).padStart(2, '0');
  return `${days[date.getUTCDay()]}, ${two(date.getUTCDate())} ${months[date.getUTCMonth()]} ${date.getUTCFullYear()} ${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`;
}

function boundary(): string {
  return `----=_Part_sandbox_${randomBytes(12).toString('hex')}`;
}

function attachmentPart(attachment: MimeAttachment, eol: string): string {
  const name = encodeWord(attachment.name).replace(/"/g, '');
  return [
    `Content-Type: ${attachment.contentType}; name="${name}"`,
    `Content-Disposition: ${attachment.isInline ? 'inline' : 'attachment'}; filename="${name}"`,
    ...(attachment.contentId ? [`Content-ID: <${attachment.contentId.replace(/^<|>$/g, '')}>`] : []),
    'Content-Transfer-Encoding: base64',
    '',
    base64Lines(attachment.content, eol),
  ].join(eol);
}

/** A JSON message as MIME (CRLF), with Bcc when `includeBcc` (the sender's copy), and attachments. */
export function renderMessage(
  input: MimeMessageInput,
  attachments: readonly MimeAttachment[],
  options: { includeBcc: boolean; messageId?: string },
): Buffer {
  const eol = '\r\n';
  const list = (addresses: readonly MimeAddress[]) => addresses.map(formatAddress).join(`,${eol} `);
  const headers = [
    `From: ${formatAddress(input.from)}`,
    ...(input.sender && input.sender.address.toLowerCase() !== input.from.address.toLowerCase()
      ? [`Sender: ${formatAddress(input.sender)}`]
      : []),
    ...(input.to.length > 0 ? [`To: ${list(input.to)}`] : []),
    ...(input.cc.length > 0 ? [`Cc: ${list(input.cc)}`] : []),
    ...(options.includeBcc && input.bcc.length > 0 ? [`Bcc: ${list(input.bcc)}`] : []),
    ...(input.replyTo.length > 0 ? [`Reply-To: ${list(input.replyTo)}`] : []),
    `Subject: ${encodeWord(input.subject)}`,
    `Date: ${rfc5322Date(input.date)}`,
    `Message-ID: ${options.messageId ?? `<${randomUUID()}@sandbox.kalisto.invalid>`}`,
    ...(input.importance && input.importance !== 'normal' ? [`Importance: ${input.importance}`] : []),
    ...input.headers.map((h) => `${h.name}: ${encodeWord(h.value)}`),
    'MIME-Version: 1.0',
  ];
  const bodyType = input.body.contentType === 'html' ? 'text/html' : 'text/plain';
  const bodyPart = [
    `Content-Type: ${bodyType}; charset=utf-8`,
    'Content-Transfer-Encoding: base64',
    '',
    base64Lines(Buffer.from(input.body.content, 'utf8'), eol),
  ].join(eol);
  if (attachments.length === 0) {
    return Buffer.from(`${[...headers, bodyPart].join(eol)}${eol}`, 'utf8');
  }
  const b = boundary();
  const parts = [bodyPart, ...attachments.map((a) => attachmentPart(a, eol))];
  const text = [
    ...headers,
    `Content-Type: multipart/mixed; boundary="${b}"`,
    '',
    ...parts.map((part) => `--${b}${eol}${part}`),
    `--${b}--`,
    '',
  ].join(eol);
  return Buffer.from(text, 'utf8');
}

function contentTypeOf(fields: readonly string[]): string | undefined {
  const field = fields.find((f) => fieldName(f) === 'content-type');
  return field
    ?.slice(field.indexOf(':') + 1)
    .replace(/\r?\n[ \t]+/g, ' ')
    .trim();
}

/**
 * `raw` with `attachments` added: into its multipart/mixed body before the closing delimiter, or
 * else by wrapping the original body (with its Content-* fields) as the first part of a new
 * multipart/mixed. The original header fields and body bytes are kept.
 */
export function addAttachments(raw: Buffer, attachments: readonly MimeAttachment[]): Buffer {
  if (attachments.length === 0) return raw;
  const parts = split(raw);
  const { eol } = parts;
  const type = contentTypeOf(parts.fields);
  const mixedBoundary =
    type && /^multipart\/mixed\b/i.test(type) ? /boundary="?([^";]+)"?/i.exec(type)?.[1] : undefined;
  const rendered = attachments.map((a) => attachmentPart(a, eol));
  if (mixedBoundary) {
    const close = `--${mixedBoundary}--`;
    const at = parts.body.lastIndexOf(close);
    if (at >= 0) {
      // The line end before the closing delimiter belongs to it: new parts go right before `--B--`.
      const inserted = rendered.map((part) => `--${mixedBoundary}${eol}${part}${eol}`).join('');
      return join({ ...parts, body: parts.body.slice(0, at) + inserted + parts.body.slice(at) });
    }
  }
  const isContentField = (f: string) => fieldName(f).startsWith('content-');
  const contentFields = parts.fields.filter(isContentField);
  const b = boundary();
  const fields = [
    ...parts.fields.filter((f) => !isContentField(f) && fieldName(f) !== 'mime-version'),
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${b}"`,
  ];
  const first = [
    ...(contentFields.length > 0 ? contentFields : ['Content-Type: text/plain; charset=us-ascii']),
    '',
    parts.body,
  ].join(eol);
  const body = [`--${b}`, first, ...rendered.flatMap((part) => [`--${b}`, part]), `--${b}--`, ''].join(eol);
  return join({ eol, fields, body });
}
