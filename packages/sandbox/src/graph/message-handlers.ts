/**
 * Reading and changing messages: list (a folder, or the whole mailbox), get, `$value`, PATCH
 * (isRead, flag, categories; a JSON draft's content), DELETE (to Deleted Items, or for good from
 * there), move and copy (a new message with a new id, as Exchange's mutable ids). Every change goes
 * through the store, so IMAP sessions see it (\Seen, \Flagged, EXISTS, EXPUNGE).
 */
import type { MailFolder, StoredMessage } from '../contracts.js';
import { attachmentJson, mimeAttachments } from './attachments.js';
import {
  apiBase,
  type FoundMessage,
  findMessage,
  type GraphContext,
  type GraphRequest,
  type GraphResponse,
  page,
  viewOf,
} from './context.js';
import type { Draft } from './drafts.js';
import { GRAPH_ERRORS } from './errors.js';
import { findMessageFolder, folderId, rootFolderId } from './folders.js';
import { encodeId } from './ids.js';
import { patchJsonMessage } from './json-message.js';
import { messageExtras, messageJson, messageProperties, type ViewedMessage } from './message-view.js';
import { parseListQuery, parseSelect } from './query.js';
import { jsonBody } from './request-body.js';

/** A draft held by the Graph layer, as the view needs it. */
export function draftView(context: GraphContext, request: GraphRequest, draft: Draft): ViewedMessage {
  const drafts = request.store.folder('Drafts');
  return {
    id: encodeId({ kind: 'draft', mailbox: draft.mailbox, key: draft.key }),
    parentFolderId: drafts ? folderId(draft.mailbox, drafts) : rootFolderId(draft.mailbox),
    raw: context.drafts.render(draft),
    flags: new Set(['\\Draft', ...(draft.isRead ? ['\\Seen'] : [])]),
    internalDate: draft.created,
    lastModified: draft.modified,
  };
}

function viewOfFound(context: GraphContext, request: GraphRequest, found: FoundMessage): ViewedMessage {
  return found.kind === 'draft'
    ? draftView(context, request, found.draft)
    : viewOf(request.mailbox.address, found.folder, found.message);
}

function context$(context: GraphContext, request: GraphRequest, path: string): string {
  return `${apiBase(context)}/$metadata#users('${encodeURIComponent(request.mailbox.address)}')/${path}`;
}

/** The JSON of one message with the request's `$select` and body preference. */
export async function renderMessage(
  context: GraphContext,
  request: GraphRequest,
  view: ViewedMessage,
): Promise<Record<string, unknown>> {
  return messageJson(view, messageProperties(parseSelect(request.query)), {
    bodyType: request.bodyType,
    webBase: context.origin(),
  });
}

async function entity(context: GraphContext, request: GraphRequest, view: ViewedMessage, status = 200) {
  return {
    status,
    json: {
      '@odata.context': context$(context, request, 'messages/$entity'),
      ...(await renderMessage(context, request, view)),
    },
  };
}

export async function getMessage(context: GraphContext, request: GraphRequest): Promise<GraphResponse> {
  const found = findMessage(context, request, request.params.id ?? '');
  return entity(context, request, viewOfFound(context, request, found));
}

/** `$value`: the MIME source, byte for byte what IMAP's BODY[] gives. */
export function getMime(context: GraphContext, request: GraphRequest): GraphResponse {
  const found = findMessage(context, request, request.params.id ?? '');
  const bytes = found.kind === 'draft' ? context.drafts.render(found.draft) : found.message.raw;
  return { status: 200, bytes, contentType: 'text/plain' };
}

/** GET …/mailFolders/{id}/messages, or …/messages (every folder). */
export async function listMessages(context: GraphContext, request: GraphRequest): Promise<GraphResponse> {
  const query = parseListQuery(request.query);
  const properties = messageProperties(query.select);
  const address = request.mailbox.address;
  const folders: readonly MailFolder[] =
    request.params.folder === undefined
      ? request.store.folders()
      : [findMessageFolder(request.store, request.params.folder)];
  const items: { folder: MailFolder; message: StoredMessage }[] = [];
  for (const folder of folders) {
    for (const message of folder.messages) {
      if (!query.filter || query.filter(message)) items.push({ folder, message });
    }
  }
  const direction = query.descending ? -1 : 1;
  items.sort(
    (a, b) =>
      direction * (a.message.internalDate.getTime() - b.message.internalDate.getTime()) ||
      direction * (a.message.uid - b.message.uid),
  );
  const { items: slice, nextLink } = page(items, request, query);
  const value = await Promise.all(
    slice.map(({ folder, message }) =>
      messageJson(viewOf(address, folder, message), properties, {
        bodyType: request.bodyType,
        webBase: context.origin(),
      }),
    ),
  );
  return {
    status: 200,
    json: {
      '@odata.context': context$(context, request, 'messages'),
      ...(query.count ? { '@odata.count': items.length } : {}),
      value,
      ...(nextLink ? { '@odata.nextLink': nextLink } : {}),
    },
  };
}

/** The properties PATCH may change on a received or sent message. */
const STATE_PROPERTIES = new Set(['isRead', 'flag', 'categories', 'inferenceClassification']);
/** The properties PATCH may change on a draft as well. */
const DRAFT_PROPERTIES = new Set([
  'subject',
  'body',
  'toRecipients',
  'ccRecipients',
  'bccRecipients',
  'replyTo',
  'from',
  'importance',
]);

function flagStatusOf(patch: Record<string, unknown>): 'notFlagged' | 'flagged' | 'complete' | undefined {
  if (!('flag' in patch)) return undefined;
  const flag = patch.flag as { flagStatus?: unknown } | null;
  const status = flag?.flagStatus;
  if (status !== 'notFlagged' && status !== 'flagged' && status !== 'complete') {
    throw GRAPH_ERRORS.badRequest('flag.flagStatus must be notFlagged, flagged or complete.');
  }
  return status;
}

export async function updateMessage(context: GraphContext, request: GraphRequest): Promise<GraphResponse> {
  const found = findMessage(context, request, request.params.id ?? '');
  const patch = jsonBody(request);
  const isDraft = found.kind === 'draft';
  for (const name of Object.keys(patch)) {
    if (STATE_PROPERTIES.has(name) || name.startsWith('@odata.')) continue;
    if (!DRAFT_PROPERTIES.has(name)) {
      throw GRAPH_ERRORS.badRequest(
        `The property '${name}' does not exist on type 'microsoft.graph.message' or cannot be updated.`,
      );
    }
    if (!isDraft) throw GRAPH_ERRORS.sentMessageUpdate();
  }
  if ('isRead' in patch && typeof patch.isRead !== 'boolean')
    throw GRAPH_ERRORS.badRequest('isRead must be true or false.');
  if (
    'categories' in patch &&
    (!Array.isArray(patch.categories) || patch.categories.some((c) => typeof c !== 'string'))
  ) {
    throw GRAPH_ERRORS.badRequest('categories must be an array of strings.');
  }
  const flagStatus = flagStatusOf(patch);

  if (found.kind === 'draft') {
    const { draft } = found;
    const content = Object.keys(patch).filter((name) => DRAFT_PROPERTIES.has(name));
    if (content.length > 0) {
      if (draft.source.kind === 'mime') {
        throw GRAPH_ERRORS.badRequest(
          `The sandbox keeps a MIME draft's bytes as given and cannot update ${content.join(', ')}; create the draft with its final content.`,
        );
      }
      draft.source = { kind: 'json', input: patchJsonMessage(draft.source.input, patch) };
    }
    if (typeof patch.isRead === 'boolean') draft.isRead = patch.isRead;
    draft.modified = new Date(context.state.now());
    return entity(context, request, draftView(context, request, draft));
  }

  const { folder, message } = found;
  const flags = new Set(message.flags);
  if (typeof patch.isRead === 'boolean') {
    if (patch.isRead) flags.add('\\Seen');
    else flags.delete('\\Seen');
  }
  const extras = messageExtras(message.raw);
  if (flagStatus !== undefined) {
    if (flagStatus === 'flagged') flags.add('\\Flagged');
    else flags.delete('\\Flagged');
    extras.flagStatus = flagStatus === 'complete' ? 'complete' : undefined;
  }
  if (Array.isArray(patch.categories)) extras.categories = [...(patch.categories as string[])];
  const changed = flags.size !== message.flags.size || [...flags].some((f) => !message.flags.has(f));
  if (changed) folder.setFlags(message.uid, flags);
  return entity(context, request, viewOf(request.mailbox.address, folder, message));
}

/** Moves (or copies) a stored message: the copy is appended to `target`, the original expunged. */
function relocate(
  source: MailFolder,
  message: StoredMessage,
  target: MailFolder,
  keep: boolean,
): StoredMessage {
  const copy = target.append(message.raw, {
    flags: [...message.flags].filter((f) => f !== '\\Deleted' && f !== '\\Recent'),
    internalDate: message.internalDate,
  });
  if (!keep) {
    source.setFlags(message.uid, [...message.flags, '\\Deleted']);
    source.expunge([message.uid]);
  }
  return copy;
}

function destinationOf(request: GraphRequest): MailFolder {
  const body = jsonBody(request);
  const destination = body.destinationId ?? body.DestinationId;
  if (typeof destination !== 'string' || destination === '') {
    throw GRAPH_ERRORS.badRequest(
      'The request needs destinationId: a folder id or a well-known folder name.',
    );
  }
  return findMessageFolder(request.store, destination);
}

async function moveOrCopy(
  context: GraphContext,
  request: GraphRequest,
  keep: boolean,
): Promise<GraphResponse> {
  const found = findMessage(context, request, request.params.id ?? '');
  const target = destinationOf(request);
  if (found.kind === 'draft') {
    throw GRAPH_ERRORS.badRequest(
      'The sandbox holds Graph drafts outside the folders until they are sent; send or delete the draft.',
    );
  }
  const moved =
    !keep && found.folder === target ? found.message : relocate(found.folder, found.message, target, keep);
  return entity(context, request, viewOf(request.mailbox.address, target, moved), 201);
}

export const moveMessage = (context: GraphContext, request: GraphRequest) =>
  moveOrCopy(context, request, false);
export const copyMessage = (context: GraphContext, request: GraphRequest) =>
  moveOrCopy(context, request, true);

/** DELETE: to Deleted Items, as Outlook's delete; from Deleted Items, for good. */
export function deleteMessage(context: GraphContext, request: GraphRequest): GraphResponse {
  const found = findMessage(context, request, request.params.id ?? '');
  if (found.kind === 'draft') {
    context.drafts.delete(found.draft);
    return { status: 204 };
  }
  const deletedItems = request.store.folder('Deleted Items');
  if (!deletedItems || found.folder === deletedItems) {
    found.folder.setFlags(found.message.uid, [...found.message.flags, '\\Deleted']);
    found.folder.expunge([found.message.uid]);
  } else {
    relocate(found.folder, found.message, deletedItems, false);
  }
  return { status: 204 };
}

/** GET …/messages/{id}/attachments: a draft's attachments, or a stored message's (parsed). */
export async function listAttachments(context: GraphContext, request: GraphRequest): Promise<GraphResponse> {
  const found = findMessage(context, request, request.params.id ?? '');
  let value: Record<string, unknown>[];
  if (found.kind === 'draft') {
    const { draft } = found;
    const original =
      draft.source.kind === 'mime' ? await mimeAttachments(draft.source.raw, draft.created) : [];
    value = [...original, ...draft.attachments.map((a) => attachmentJson(a))];
  } else {
    value = await mimeAttachments(found.message.raw, found.message.internalDate);
  }
  return {
    status: 200,
    json: { '@odata.context': context$(context, request, 'messages/attachments'), value },
  };
}
