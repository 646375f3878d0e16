/** File attachments as Graph `fileAttachment` resources: a draft's, and those parsed from MIME. */
import { createHash } from 'node:crypto';
import { simpleParser } from 'mailparser';
import { graphDate } from './message-view.js';

/** What a file attachment resource is made from. */
export interface AttachmentFacts {
  readonly id: string;
  readonly name: string;
  readonly contentType: string;
  readonly content: Buffer;
  readonly isInline: boolean;
  readonly contentId?: string;
  readonly lastModified: Date;
}

export function attachmentJson(attachment: AttachmentFacts, withContent = true): Record<string, unknown> {
  return {
    '@odata.type': '#microsoft.graph.fileAttachment',
    id: attachment.id,
    lastModifiedDateTime: graphDate(attachment.lastModified),
    name: attachment.name,
    contentType: attachment.contentType,
    size: attachment.content.length,
    isInline: attachment.isInline,
    contentId: attachment.contentId ?? null,
    ...(withContent ? { contentBytes: attachment.content.toString('base64') } : {}),
  };
}

/** The attachments of a MIME message (ids derived from their position and bytes). */
export async function mimeAttachments(raw: Buffer, lastModified: Date): Promise<Record<string, unknown>[]> {
  const parsed = await simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true });
  return parsed.attachments.map((a, index) =>
    attachmentJson({
      id: `AAMkAtt${index}${createHash('sha256').update(a.content).digest('base64url').slice(0, 16)}`,
      name: a.filename ?? `attachment-${index + 1}`,
      contentType: a.contentType,
      content: a.content,
      isInline: a.contentDisposition === 'inline',
      ...(a.cid ? { contentId: a.cid } : {}),
      lastModified,
    }),
  );
}
