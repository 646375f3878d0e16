/**
 * Sending one composed message through Graph. Up to Graph's 4 MB request limit: the MIME nodemailer
 * built, base64, in one `POST /users/{mailbox}/sendMail` — byte for byte what nodemailer composed.
 * Over it: a draft from the MIME without its attachments, each attachment added (a POST under
 * 3 MB, an upload session from 3 MB to 150 MB), then `POST …/messages/{id}/send`; Exchange
 * composes that message's MIME itself.
 */
import { ConnectionError, type Logger } from '@kalisto/core';
import type { SendMailOptions } from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer';
import type MimeNode from 'nodemailer/lib/mime-node';
import { tooLarge } from './content.js';
import type { GraphClient } from './graph-client.js';
import { GRAPH_MAX_REQUEST_BYTES, UPLOAD_CHUNK_BYTES, UPLOAD_SESSION_MIN_BYTES } from './options.js';
import { uploadRanges } from './upload-ranges.js';

/** How a message went. */
export type GraphSendMethod = 'sendMail' | 'draft';

export interface SendResult {
  method: GraphSendMethod;
  /** Bytes of the MIME message nodemailer composed (with all attachments). */
  messageSize: number;
}

/** Builds a composed message into one Buffer, failing past `maxBytes`. */
export async function buildMime(node: MimeNode, maxBytes: number): Promise<Buffer> {
  const built = await measureMime(node, maxBytes, Number.POSITIVE_INFINITY);
  return built.mime as Buffer;
}

/**
 * Builds a composed message, failing past `maxBytes`; keeps the bytes only while they are at most
 * `keepBytes` (a message too large for one request is only measured: its draft is built apart).
 */
async function measureMime(
  node: MimeNode,
  maxBytes: number,
  keepBytes: number,
): Promise<{ size: number; mime: Buffer | undefined }> {
  let parts: Buffer[] | undefined = [];
  let size = 0;
  for await (const chunk of node.createReadStream() as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw tooLarge(maxBytes);
    if (size > keepBytes) parts = undefined;
    parts?.push(chunk);
  }
  return { size, mime: parts === undefined ? undefined : Buffer.concat(parts, size) };
}

/** The most MIME bytes whose base64 fits Graph's request limit. */
const MAX_DIRECT_MIME_BYTES = Math.floor(GRAPH_MAX_REQUEST_BYTES / 4) * 3;

/** The attachments of a (resolved) message, as Graph's draft needs them. */
interface DraftAttachment {
  name: string;
  contentType: string;
  content: Buffer;
  isInline: boolean;
  contentId: string | undefined;
}

function draftAttachments(data: SendMailOptions): DraftAttachment[] {
  return (data.attachments ?? []).map((attachment, index) => {
    if (attachment.raw !== undefined) {
      throw unsplittable(
        'an attachment given as raw MIME (attachments[].raw) cannot be added to a Graph draft',
      );
    }
    const content = attachment.content;
    const bytes =
      typeof content === 'string'
        ? Buffer.from(content, (attachment.encoding as BufferEncoding | undefined) ?? 'utf8')
        : Buffer.isBuffer(content)
          ? content
          : Buffer.alloc(0);
    const name = typeof attachment.filename === 'string' ? attachment.filename : `attachment-${index + 1}`;
    return {
      name,
      contentType: attachment.contentType ?? 'application/octet-stream',
      content: bytes,
      isInline: attachment.contentDisposition === 'inline' || attachment.cid !== undefined,
      contentId: attachment.cid,
    };
  });
}

function unsplittable(reason: string): ConnectionError {
  const hint = `Messages over Graph's 4 MB request limit are sent as a draft plus attachments: ${reason}. Send it over SMTP, or make it smaller.`;
  return new ConnectionError(`[protocol:graph] The message cannot be sent through Graph. ${hint}`, {
    code: 'GRAPH_MESSAGE_TOO_LARGE',
    hint,
    protocol: 'graph',
    transient: false,
  });
}

export interface SendContext {
  client: GraphClient;
  logger: Logger;
  /** The composed message (what nodemailer built, Bcc kept). */
  message: MimeNode;
  /** The message's data with every part in memory (`resolveMessageContent`). */
  data: SendMailOptions;
  messageId: string;
  /** The From address, for a Send As refusal. */
  from: string | undefined;
  signal: AbortSignal | undefined;
}

/** Sends the message, choosing the path by its size; resolves once Graph accepted it (202). */
export async function sendMessage(context: SendContext): Promise<SendResult> {
  const { client } = context;
  if (attachmentBytes(context.data) > MAX_DIRECT_MIME_BYTES) {
    const size = await sendAsDraft(context);
    return { method: 'draft', messageSize: size };
  }
  const { size, mime } = await measureMime(
    context.message,
    client.options.maxMessageBytes,
    MAX_DIRECT_MIME_BYTES,
  );
  if (mime !== undefined) {
    await client.send({
      method: 'POST',
      url: client.mailboxPath('/sendMail'),
      operation: 'send',
      name: 'sendMail',
      body: { data: mime.toString('base64'), contentType: 'text/plain' },
      from: context.from,
      signal: context.signal,
    });
    return { method: 'sendMail', messageSize: size };
  }
  await sendAsDraft(context);
  return { method: 'draft', messageSize: size };
}

/** Sends through a draft; resolves with the bytes sent (the draft's MIME and the attachments). */
async function sendAsDraft(context: SendContext): Promise<number> {
  const { client, data, logger, signal } = context;
  if (data.raw !== undefined) throw unsplittable('a message given as raw MIME (raw) cannot be split');
  const attachments = draftAttachments(data);
  const skeleton = new MailComposer({ ...data, attachments: [] }).compile();
  skeleton.keepBcc = true;
  skeleton.setHeader('Message-ID', context.messageId);
  const skeletonMime = await buildMime(skeleton, client.options.maxMessageBytes);
  const body = skeletonMime.toString('base64');
  if (body.length > GRAPH_MAX_REQUEST_BYTES) {
    throw unsplittable(`its body and headers alone are ${body.length} bytes of base64, over the limit`);
  }
  const draft = await client.json<{ id: string }>({
    method: 'POST',
    url: client.mailboxPath('/messages'),
    operation: 'write',
    name: 'createDraft',
    body: { data: body, contentType: 'text/plain' },
    signal,
  });
  const messagePath = client.mailboxPath(`/messages/${encodeURIComponent(draft.id)}`);
  try {
    for (const attachment of attachments) {
      if (attachment.content.length >= UPLOAD_SESSION_MIN_BYTES)
        await upload(client, messagePath, attachment, signal);
      else await attach(client, messagePath, attachment, signal);
    }
    await client.send({
      method: 'POST',
      url: `${messagePath}/send`,
      operation: 'send',
      name: 'sendDraft',
      from: context.from,
      signal,
    });
    return attachments.reduce((total, a) => total + a.content.length, skeletonMime.length);
  } catch (error) {
    // The draft must not stay behind in Drafts; its removal failing is only logged.
    await client
      .send({ method: 'DELETE', url: messagePath, operation: 'write', name: 'deleteMessage' })
      .catch((cleanup: unknown) => logger.warn({ err: cleanup }, 'Graph: could not delete the unsent draft'));
    throw error;
  }
}

/** An attachment under 3 MB: one POST with its bytes in base64. */
async function attach(
  client: GraphClient,
  messagePath: string,
  attachment: DraftAttachment,
  signal: AbortSignal | undefined,
): Promise<void> {
  await client.send({
    method: 'POST',
    url: `${messagePath}/attachments`,
    operation: 'write',
    name: 'addAttachment',
    json: {
      '@odata.type': '#microsoft.graph.fileAttachment',
      name: attachment.name,
      contentType: attachment.contentType,
      contentBytes: attachment.content.toString('base64'),
      isInline: attachment.isInline,
      ...(attachment.contentId === undefined ? {} : { contentId: attachment.contentId }),
    },
    signal,
  });
}

/**
 * An attachment of 3 MB or more: an upload session, then its bytes in ranges of
 * {@link UPLOAD_CHUNK_BYTES}, each where Graph's `nextExpectedRanges` says. The upload URL is
 * pre-authenticated (no token is sent to it) and never logged.
 */
async function upload(
  client: GraphClient,
  messagePath: string,
  attachment: DraftAttachment,
  signal: AbortSignal | undefined,
): Promise<void> {
  const size = attachment.content.length;
  const session = await client.json<{ uploadUrl?: string; nextExpectedRanges?: string[] }>({
    method: 'POST',
    url: `${messagePath}/attachments/createUploadSession`,
    operation: 'write',
    name: 'createUploadSession',
    json: {
      AttachmentItem: {
        attachmentType: 'file',
        name: attachment.name,
        size,
        contentType: attachment.contentType,
        isInline: attachment.isInline,
        ...(attachment.contentId === undefined ? {} : { contentId: attachment.contentId }),
      },
    },
    signal,
  });
  const uploadUrl = session?.uploadUrl;
  if (typeof uploadUrl !== 'string') {
    throw unsplittable('Graph created no upload session for an attachment');
  }
  let expected = session?.nextExpectedRanges;
  for (const range of uploadRanges(size, UPLOAD_CHUNK_BYTES, () => expected)) {
    const reply = await client.send({
      method: 'PUT',
      url: uploadUrl,
      operation: 'write',
      name: 'uploadRange',
      preAuthenticated: true,
      body: {
        data: attachment.content.subarray(range.start, range.end + 1),
        contentType: 'application/octet-stream',
      },
      headers: { 'content-range': `bytes ${range.start}-${range.end}/${size}` },
      signal,
    });
    expected = reply.status === 201 ? [] : nextExpected(reply.text);
  }
}

function nextExpected(text: string): string[] | undefined {
  try {
    const parsed = JSON.parse(text) as { nextExpectedRanges?: unknown };
    return Array.isArray(parsed.nextExpectedRanges)
      ? parsed.nextExpectedRanges.filter((r): r is string => typeof r === 'string')
      : undefined;
  } catch {
    return undefined;
  }
}

/** The bytes of the message's attachments (in memory by now). */
function attachmentBytes(data: SendMailOptions): number {
  let total = 0;
  for (const attachment of data.attachments ?? []) {
    const content = attachment.content;
    if (typeof content === 'string') total += Buffer.byteLength(content);
    else if (Buffer.isBuffer(content)) total += content.length;
  }
  return total;
}
