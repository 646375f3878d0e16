/**
 * Sending: `sendMail` (base64 MIME, or JSON with `saveToSentItems`), drafts (`POST …/messages`,
 * MIME or JSON), small attachments (`POST …/attachments`), large ones through an upload session
 * (`createUploadSession`, then `PUT` byte ranges to its pre-authenticated URL), and `send`.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { attachmentJson } from './attachments.js';
import { apiBase, findMessage, type GraphContext, type GraphRequest, type GraphResponse } from './context.js';
import type { Draft, UploadSession } from './drafts.js';
import { GRAPH_ERRORS } from './errors.js';
import { encodeId } from './ids.js';
import { parseFileAttachment, parseJsonMessage } from './json-message.js';
import { draftView, renderMessage as renderMessageJson } from './message-handlers.js';
import { renderMessage } from './mime.js';
import { bodyFormat, jsonBody, mimeBody } from './request-body.js';
import { submitMessage } from './send.js';

function defaultFrom(request: GraphRequest): { name?: string; address: string } {
  const owner = request.mailbox.owner;
  return { address: request.mailbox.address, ...(owner ? { name: owner.displayName } : {}) };
}

/** POST …/sendMail: 202, no body. */
export async function sendMail(context: GraphContext, request: GraphRequest): Promise<GraphResponse> {
  if (bodyFormat(request) === 'mime') {
    await submitMessage(context, request.caller, request.mailbox, mimeBody(request), {
      saveToSentItems: true,
    });
    return { status: 202 };
  }
  const body = jsonBody(request);
  if (body.message === undefined) throw GRAPH_ERRORS.badRequest("The request needs the parameter 'message'.");
  const { input, attachments } = parseJsonMessage(body.message, {
    from: defaultFrom(request),
    date: new Date(context.state.now()),
  });
  const save = body.saveToSentItems;
  const raw = renderMessage(input, attachments, { includeBcc: true });
  await submitMessage(context, request.caller, request.mailbox, raw, {
    saveToSentItems: save !== false && save !== 'false',
  });
  return { status: 202 };
}

/** POST …/messages: a draft from base64 MIME or JSON; 201 with the message. */
export async function createMessage(context: GraphContext, request: GraphRequest): Promise<GraphResponse> {
  const address = request.mailbox.address;
  let draft: Draft;
  if (bodyFormat(request) === 'mime') {
    draft = context.drafts.create(address, { kind: 'mime', raw: mimeBody(request) }, []);
  } else {
    const { input, attachments } = parseJsonMessage(jsonBody(request), {
      from: defaultFrom(request),
      date: new Date(context.state.now()),
    });
    draft = context.drafts.create(address, { kind: 'json', input }, attachments);
  }
  const view = draftView(context, request, draft);
  return {
    status: 201,
    json: {
      '@odata.context': `${apiBase(context)}/$metadata#users('${encodeURIComponent(address)}')/messages/$entity`,
      ...(await renderMessageJson(context, request, view)),
    },
  };
}

function draftOf(context: GraphContext, request: GraphRequest): Draft {
  const found = findMessage(context, request, request.params.id ?? '');
  if (found.kind !== 'draft') {
    throw GRAPH_ERRORS.badRequest('The sandbox adds attachments to drafts created through Graph only.');
  }
  return found.draft;
}

/** POST …/messages/{id}/send: sends a draft (Graph's, or a stored message flagged \Draft); 202. */
export async function sendDraft(context: GraphContext, request: GraphRequest): Promise<GraphResponse> {
  const found = findMessage(context, request, request.params.id ?? '');
  if (found.kind === 'draft') {
    await submitMessage(context, request.caller, request.mailbox, context.drafts.render(found.draft), {
      saveToSentItems: true,
    });
    context.drafts.delete(found.draft);
    return { status: 202 };
  }
  if (!found.message.flags.has('\\Draft')) {
    throw GRAPH_ERRORS.notADraft();
  }
  await submitMessage(context, request.caller, request.mailbox, found.message.raw, { saveToSentItems: true });
  found.folder.setFlags(found.message.uid, [...found.message.flags, '\\Deleted']);
  found.folder.expunge([found.message.uid]);
  return { status: 202 };
}

/** POST …/messages/{id}/attachments: one file attachment (under 3 MB by Graph's rules); 201. */
export function addAttachment(context: GraphContext, request: GraphRequest): GraphResponse {
  const draft = draftOf(context, request);
  const added = context.drafts.attach(draft, parseFileAttachment(jsonBody(request)));
  return { status: 201, json: attachmentJson(added) };
}

function uploadBase(context: GraphContext, request: GraphRequest, draft: Draft): string {
  const user = `${request.mailbox.owner?.objectId ?? request.mailbox.address}@${request.mailbox.tenant.id}`;
  const id = encodeId({ kind: 'draft', mailbox: draft.mailbox, key: draft.key });
  return `${context.origin()}/api/v2.0/Users('${encodeURIComponent(user)}')/Messages('${encodeURIComponent(id)}')`;
}

/** POST …/messages/{id}/attachments/createUploadSession: 201 with a pre-authenticated uploadUrl. */
export function createUploadSession(context: GraphContext, request: GraphRequest): GraphResponse {
  const draft = draftOf(context, request);
  const body = jsonBody(request);
  const item = (body.AttachmentItem ?? body.attachmentItem) as Record<string, unknown> | undefined;
  if (typeof item !== 'object' || item === null) {
    throw GRAPH_ERRORS.badRequest("The request needs the parameter 'AttachmentItem'.");
  }
  if (item.attachmentType !== undefined && String(item.attachmentType).toLowerCase() !== 'file') {
    throw GRAPH_ERRORS.badRequest('AttachmentItem.attachmentType must be file.');
  }
  if (typeof item.name !== 'string' || item.name === '')
    throw GRAPH_ERRORS.badRequest('AttachmentItem.name is required.');
  if (typeof item.size !== 'number' || !Number.isInteger(item.size) || item.size <= 0) {
    throw GRAPH_ERRORS.badRequest('AttachmentItem.size must be the file size in bytes.');
  }
  const session = context.drafts.openSession(draft, {
    name: item.name,
    size: item.size,
    contentType: typeof item.contentType === 'string' ? item.contentType : 'application/octet-stream',
    isInline: item.isInline === true,
    ...(typeof item.contentId === 'string' ? { contentId: item.contentId } : {}),
  });
  return {
    status: 201,
    json: {
      '@odata.context': `${apiBase(context)}/$metadata#microsoft.graph.uploadSession`,
      uploadUrl: `${uploadBase(context, request, draft)}/AttachmentSessions('${session.token.slice(0, 16)}')?authtoken=${session.token}`,
      expirationDateTime: new Date(session.expiresAt).toISOString(),
      nextExpectedRanges: ['0-'],
    },
  };
}

/** `bytes START-END/TOTAL` → numbers; 400 otherwise. */
function contentRange(header: string | undefined): { start: number; end: number; total: number } {
  const match = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(header?.trim() ?? '');
  if (!match) throw GRAPH_ERRORS.badRequest('Each PUT needs Content-Range: bytes START-END/TOTAL.');
  const [start, end, total] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (end < start) throw GRAPH_ERRORS.invalidRange(`The range ${start}-${end} is empty.`);
  return { start, end, total };
}

/** A request to an upload URL (no Graph authentication: the URL's token is the credential). */
export interface UploadRequest {
  readonly method: string;
  readonly token: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/**
 * PUT to an upload URL: 200 with the next expected range, and on the last range 201 with the
 * attachment's URL in Location. DELETE cancels the session (204).
 */
export function uploadChunk(context: GraphContext, request: UploadRequest, url: URL): GraphResponse {
  if (request.headers.authorization) throw GRAPH_ERRORS.uploadWithAuthorization();
  const session: UploadSession | undefined = context.drafts.session(request.token);
  if (!session) throw GRAPH_ERRORS.uploadSessionNotFound();
  if (request.method === 'DELETE') {
    context.drafts.closeSession(session);
    return { status: 204 };
  }
  if (request.method !== 'PUT') throw GRAPH_ERRORS.methodNotAllowed(request.method);
  const range = contentRange(request.headers['content-range']);
  if (range.end - range.start + 1 !== request.body.length) {
    throw GRAPH_ERRORS.badRequest(
      `Content-Range names ${range.end - range.start + 1} bytes but the body has ${request.body.length}.`,
    );
  }
  const attached = context.drafts.upload(session, range.start, range.total, request.body);
  if (!attached) {
    return {
      status: 200,
      json: {
        '@odata.context': `${url.origin}/api/v2.0/$metadata#Microsoft.OutlookServices.UploadSession`,
        expirationDateTime: new Date(session.expiresAt).toISOString(),
        nextExpectedRanges: [String(session.received)],
      },
    };
  }
  const messageUrl = url.pathname.replace(/\/AttachmentSessions\(.*$/, '');
  return {
    status: 201,
    headers: { location: `${url.origin}${messageUrl}/Attachments('${encodeURIComponent(attached.id)}')` },
  };
}
