/**
 * Drafts created through Graph (`POST …/messages`) and their attachments, until they are sent or
 * deleted, plus attachment upload sessions (`createUploadSession`, then `PUT` byte ranges to a
 * pre-authenticated URL). A draft is rendered to MIME when it is read or sent: a MIME draft keeps
 * its bytes, with added attachments placed around them.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { GRAPH_ERRORS } from './errors.js';
import { addAttachments, type MimeAttachment, type MimeMessageInput, renderMessage } from './mime.js';

/** The largest file attachment Outlook accepts (150 MB). */
export const MAX_ATTACHMENT_BYTES = 150 * 1024 * 1024;
/** Files under 3 MB are attached with one POST, not an upload session. */
export const MIN_UPLOAD_SESSION_BYTES = 3 * 1024 * 1024;
/** How long an upload session stays open, ms (each chunk extends it). */
const UPLOAD_SESSION_TTL_MS = 6 * 60 * 60 * 1000;

export interface DraftAttachment extends MimeAttachment {
  readonly id: string;
  readonly lastModified: Date;
}

export type DraftSource = { kind: 'json'; input: MimeMessageInput } | { kind: 'mime'; raw: Buffer };

export interface Draft {
  readonly key: string;
  /** The mailbox address (lower case). */
  readonly mailbox: string;
  readonly created: Date;
  modified: Date;
  source: DraftSource;
  readonly attachments: DraftAttachment[];
  /** Message-ID of a JSON draft, kept across renders. */
  readonly messageId: string;
  isRead: boolean;
}

/** An attachment upload in progress. */
export interface UploadSession {
  readonly token: string;
  readonly draft: Draft;
  readonly name: string;
  readonly contentType: string;
  readonly size: number;
  readonly isInline: boolean;
  readonly contentId: string | undefined;
  readonly chunks: Buffer[];
  received: number;
  expiresAt: number;
}

export class DraftStore {
  readonly #drafts = new Map<string, Draft>();
  readonly #sessions = new Map<string, UploadSession>();

  constructor(private readonly now: () => number) {}

  create(mailbox: string, source: DraftSource, attachments: readonly MimeAttachment[]): Draft {
    const at = new Date(this.now());
    const draft: Draft = {
      key: randomBytes(12).toString('hex'),
      mailbox,
      created: at,
      modified: at,
      source,
      attachments: [],
      messageId: `<${randomUUID()}@sandbox.kalisto.invalid>`,
      isRead: true,
    };
    for (const attachment of attachments) this.attach(draft, attachment);
    this.#drafts.set(`${mailbox}\u0000${draft.key}`, draft);
    return draft;
  }

  get(mailbox: string, key: string): Draft | undefined {
    return this.#drafts.get(`${mailbox}\u0000${key}`);
  }

  delete(draft: Draft): void {
    this.#drafts.delete(`${draft.mailbox}\u0000${draft.key}`);
    for (const [token, session] of this.#sessions) if (session.draft === draft) this.#sessions.delete(token);
  }

  attach(draft: Draft, attachment: MimeAttachment): DraftAttachment {
    const added: DraftAttachment = {
      ...attachment,
      id: randomBytes(16).toString('base64url'),
      lastModified: new Date(this.now()),
    };
    draft.attachments.push(added);
    draft.modified = added.lastModified;
    return added;
  }

  /** The draft as MIME: with Bcc (the sender's copy); delivered copies drop it. */
  render(draft: Draft): Buffer {
    if (draft.source.kind === 'mime') return addAttachments(draft.source.raw, draft.attachments);
    return renderMessage({ ...draft.source.input, date: new Date(this.now()) }, draft.attachments, {
      includeBcc: true,
      messageId: draft.messageId,
    });
  }

  openSession(
    draft: Draft,
    item: { name: string; size: number; contentType: string; isInline: boolean; contentId?: string },
  ): UploadSession {
    if (item.size > MAX_ATTACHMENT_BYTES) throw GRAPH_ERRORS.attachmentTooLarge();
    if (item.size < MIN_UPLOAD_SESSION_BYTES) throw GRAPH_ERRORS.attachmentTooSmall();
    this.#dropExpired();
    const session: UploadSession = {
      token: randomBytes(32).toString('base64url'),
      draft,
      name: item.name,
      contentType: item.contentType,
      size: item.size,
      isInline: item.isInline,
      contentId: item.contentId,
      chunks: [],
      received: 0,
      expiresAt: this.now() + UPLOAD_SESSION_TTL_MS,
    };
    this.#sessions.set(session.token, session);
    return session;
  }

  session(token: string): UploadSession | undefined {
    const session = this.#sessions.get(token);
    if (!session || session.expiresAt <= this.now()) return undefined;
    return session;
  }

  closeSession(session: UploadSession): void {
    this.#sessions.delete(session.token);
  }

  /**
   * Takes the bytes `start`..`start + chunk.length - 1` of the file; on the last one the file is
   * attached to the draft and returned.
   */
  upload(session: UploadSession, start: number, total: number, chunk: Buffer): DraftAttachment | undefined {
    if (total !== session.size) {
      throw GRAPH_ERRORS.invalidRange(
        `The Content-Range total ${total} differs from the session's size ${session.size}.`,
      );
    }
    if (start !== session.received) {
      throw GRAPH_ERRORS.invalidRange(`The next expected range starts at ${session.received}, not ${start}.`);
    }
    if (start + chunk.length > session.size) {
      throw GRAPH_ERRORS.invalidRange('The range ends past the size given when the session was created.');
    }
    session.chunks.push(chunk);
    session.received += chunk.length;
    session.expiresAt = this.now() + UPLOAD_SESSION_TTL_MS;
    if (session.received < session.size) return undefined;
    this.closeSession(session);
    return this.attach(session.draft, {
      name: session.name,
      contentType: session.contentType,
      content: Buffer.concat(session.chunks),
      isInline: session.isInline,
      ...(session.contentId ? { contentId: session.contentId } : {}),
    });
  }

  #dropExpired(): void {
    const now = this.now();
    for (const [token, session] of this.#sessions) if (session.expiresAt <= now) this.#sessions.delete(token);
  }
}
