/**
 * What every Graph handler receives (the sandbox's state and store, the request as routed, the
 * caller and the target mailbox) and returns (status, JSON or bytes, headers), plus the helpers
 * handlers share: finding a message by id and paging a list with `@odata.nextLink`.
 */
import type { Mailbox, MailFolder, MailStore, StoredMessage } from '../contracts.js';
import type { SigningKey } from '../identity/tokens.js';
import type { SandboxMailboxEntry, SandboxState } from '../state.js';
import type { GraphCaller } from './auth.js';
import type { DeltaTracker } from './delta.js';
import type { Draft, DraftStore } from './drafts.js';
import { GRAPH_ERRORS } from './errors.js';
import { folderByUidValidity, folderId } from './folders.js';
import { decodeId, encodeId } from './ids.js';
import type { BodyPreference, ViewedMessage } from './message-view.js';

/** The server-wide parts handlers use. */
export interface GraphContext {
  readonly state: SandboxState;
  readonly store: MailStore;
  readonly key: SigningKey;
  readonly drafts: DraftStore;
  readonly delta: DeltaTracker;
  /** `https://HOST:PORT`. */
  origin(): string;
}

/** A routed, authenticated request for one mailbox. */
export interface GraphRequest {
  readonly method: string;
  /** Path parameters of the route (`:id` → `id`). */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly contentType: string;
  readonly body: Buffer;
  readonly caller: GraphCaller;
  readonly mailbox: SandboxMailboxEntry;
  /** The mailbox in the store (created on first use, as the servers do). */
  readonly store: Mailbox;
  /** The request URL, for links. */
  readonly url: URL;
  readonly bodyType: BodyPreference;
  readonly maxPageSize: number | undefined;
}

/** A handler's answer. */
export interface GraphResponse {
  status: number;
  json?: unknown;
  bytes?: Buffer;
  contentType?: string;
  headers?: Record<string, string>;
}

/** `https://HOST:PORT/v1.0`. */
export function apiBase(context: GraphContext): string {
  return `${context.origin()}/v1.0`;
}

/** A message of the store, or a draft the Graph layer holds until it is sent. */
export type FoundMessage =
  | { kind: 'stored'; folder: MailFolder; message: StoredMessage; id: string }
  | { kind: 'draft'; draft: Draft; id: string };

function findByUid(folder: MailFolder, uid: number): StoredMessage | undefined {
  const messages = folder.messages;
  let low = 0;
  let high = messages.length - 1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    const message = messages[mid] as StoredMessage;
    if (message.uid === uid) return message;
    if (message.uid < uid) low = mid + 1;
    else high = mid - 1;
  }
  return undefined;
}

/** The message `id` names in the request's mailbox: 400 for a malformed id, 404 ErrorItemNotFound. */
export function findMessage(context: GraphContext, request: GraphRequest, id: string): FoundMessage {
  const ref = decodeId(id);
  if (ref.mailbox !== request.mailbox.address) throw GRAPH_ERRORS.itemNotFound();
  if (ref.kind === 'draft') {
    const draft = context.drafts.get(ref.mailbox, ref.key);
    if (!draft) throw GRAPH_ERRORS.itemNotFound();
    return { kind: 'draft', draft, id };
  }
  if (ref.kind !== 'message') throw GRAPH_ERRORS.itemNotFound();
  const folder = folderByUidValidity(request.store, ref.uidValidity);
  const message = folder && findByUid(folder, ref.uid);
  if (!folder || !message) throw GRAPH_ERRORS.itemNotFound();
  return { kind: 'stored', folder, message, id };
}

export function messageId(address: string, folder: MailFolder, uid: number): string {
  return encodeId({ kind: 'message', mailbox: address, uidValidity: folder.uidValidity, uid });
}

/** A stored message as the view needs it. */
export function viewOf(address: string, folder: MailFolder, message: StoredMessage): ViewedMessage {
  return {
    id: messageId(address, folder, message.uid),
    parentFolderId: folderId(address, folder),
    raw: message.raw,
    flags: message.flags,
    internalDate: message.internalDate,
  };
}

/** One page of `items` and, when more remain, the request URL with `$skip` moved on as `@odata.nextLink`. */
export function page<T>(
  items: readonly T[],
  request: GraphRequest,
  options: { top: number | undefined; skip: number },
): { items: T[]; nextLink: string | undefined } {
  const size = options.top ?? request.maxPageSize ?? 10;
  const slice = items.slice(options.skip, options.skip + size);
  if (options.skip + size >= items.length) return { items: slice, nextLink: undefined };
  const next = new URL(request.url);
  next.searchParams.set('$skip', String(options.skip + size));
  if (options.top === undefined) next.searchParams.set('$top', String(size));
  return { items: slice, nextLink: next.toString() };
}
