/**
 * Graph's JSON `message` and `fileAttachment` bodies, checked and reduced to what the MIME
 * renderer needs. A malformed body is a 400 naming the property at fault.
 */
import { GRAPH_ERRORS } from './errors.js';
import type { MimeAddress, MimeAttachment, MimeMessageInput } from './mime.js';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function recipient(value: unknown, property: string): MimeAddress {
  const email = isObject(value) ? value.emailAddress : undefined;
  const address = isObject(email) ? email.address : undefined;
  if (typeof address !== 'string' || !/^[^\s@]+@[^\s@]+$/.test(address)) {
    throw GRAPH_ERRORS.badRequest(
      `${property}: every recipient needs emailAddress.address, an e-mail address.`,
    );
  }
  const name = isObject(email) && typeof email.name === 'string' ? email.name : undefined;
  return { address, ...(name ? { name } : {}) };
}

function recipients(value: unknown, property: string): MimeAddress[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw GRAPH_ERRORS.badRequest(`${property} must be an array of recipients.`);
  return value.map((v) => recipient(v, property));
}

/** A `#microsoft.graph.fileAttachment` body (POST …/attachments, or a message's `attachments`). */
export function parseFileAttachment(value: unknown): MimeAttachment {
  if (!isObject(value)) throw GRAPH_ERRORS.badRequest('An attachment must be a JSON object.');
  const type = value['@odata.type'];
  if (typeof type === 'string' && type.toLowerCase() !== '#microsoft.graph.fileattachment') {
    throw GRAPH_ERRORS.badRequest(`The sandbox supports file attachments only, not ${type}.`);
  }
  if (typeof value.name !== 'string' || value.name === '')
    throw GRAPH_ERRORS.badRequest('The attachment needs a name.');
  if (typeof value.contentBytes !== 'string')
    throw GRAPH_ERRORS.badRequest('The attachment needs contentBytes (base64).');
  return {
    name: value.name,
    contentType: typeof value.contentType === 'string' ? value.contentType : 'application/octet-stream',
    content: Buffer.from(value.contentBytes, 'base64'),
    isInline: value.isInline === true,
    ...(typeof value.contentId === 'string' ? { contentId: value.contentId } : {}),
  };
}

/** The parts of a JSON message the sandbox renders, with defaults (From = the mailbox). */
export function parseJsonMessage(
  value: unknown,
  defaults: { from: MimeAddress; date: Date },
): { input: MimeMessageInput; attachments: MimeAttachment[] } {
  if (!isObject(value)) throw GRAPH_ERRORS.badRequest('The message must be a JSON object.');
  const body = isObject(value.body) ? value.body : {};
  const contentType = typeof body.contentType === 'string' ? body.contentType.toLowerCase() : 'text';
  if (contentType !== 'text' && contentType !== 'html')
    throw GRAPH_ERRORS.badRequest(`body.contentType must be text or html, not ${String(body.contentType)}.`);
  const headers = Array.isArray(value.internetMessageHeaders) ? value.internetMessageHeaders : [];
  const importance = typeof value.importance === 'string' ? value.importance.toLowerCase() : 'normal';
  if (importance !== 'low' && importance !== 'normal' && importance !== 'high')
    throw GRAPH_ERRORS.badRequest(`importance must be low, normal or high, not ${importance}.`);
  const attachments = value.attachments === undefined ? [] : value.attachments;
  if (!Array.isArray(attachments)) throw GRAPH_ERRORS.badRequest('attachments must be an array.');
  return {
    input: {
      from: value.from === undefined ? defaults.from : recipient(value.from, 'from'),
      ...(value.sender !== undefined ? { sender: recipient(value.sender, 'sender') } : {}),
      to: recipients(value.toRecipients, 'toRecipients'),
      cc: recipients(value.ccRecipients, 'ccRecipients'),
      bcc: recipients(value.bccRecipients, 'bccRecipients'),
      replyTo: recipients(value.replyTo, 'replyTo'),
      subject: typeof value.subject === 'string' ? value.subject : '',
      body: { contentType, content: typeof body.content === 'string' ? body.content : '' },
      importance,
      headers: headers.map((h: unknown) => {
        if (
          !isObject(h) ||
          typeof h.name !== 'string' ||
          typeof h.value !== 'string' ||
          !/^x-/i.test(h.name)
        ) {
          throw GRAPH_ERRORS.badRequest(
            'internetMessageHeaders: only { name: "x-…", value } entries are allowed.',
          );
        }
        return { name: h.name, value: h.value };
      }),
      date: defaults.date,
    },
    attachments: attachments.map(parseFileAttachment),
  };
}

/** The JSON message properties a draft may change (PATCH), applied to `input`. */
export function patchJsonMessage(input: MimeMessageInput, patch: Json): MimeMessageInput {
  const next: MimeMessageInput = { ...input };
  if ('subject' in patch) next.subject = typeof patch.subject === 'string' ? patch.subject : '';
  if ('body' in patch) {
    next.body = parseJsonMessage({ body: patch.body }, { from: input.from, date: input.date }).input.body;
  }
  if ('toRecipients' in patch) next.to = recipients(patch.toRecipients, 'toRecipients');
  if ('ccRecipients' in patch) next.cc = recipients(patch.ccRecipients, 'ccRecipients');
  if ('bccRecipients' in patch) next.bcc = recipients(patch.bccRecipients, 'bccRecipients');
  if ('replyTo' in patch) next.replyTo = recipients(patch.replyTo, 'replyTo');
  if ('from' in patch) next.from = recipient(patch.from, 'from');
  if ('importance' in patch) {
    next.importance = parseJsonMessage(
      { importance: patch.importance },
      { from: input.from, date: input.date },
    ).input.importance;
  }
  return next;
}
