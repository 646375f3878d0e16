/**
 * The Graph mail routes under `/v1.0/users/{id | userPrincipalName}` and `/v1.0/me`, and what runs
 * before each handler: count the request, authenticate, find the mailbox, check the permission the
 * route needs, apply injected throttling, refuse writes to an over-quota mailbox.
 */
import type { GraphOperation } from './auth.js';
import { authenticate, authorize, resolveMailbox } from './auth.js';
import type { GraphContext, GraphRequest, GraphResponse } from './context.js';
import type { GraphRequestKind } from './controls.js';
import { GRAPH_ERRORS } from './errors.js';
import { getFolder, listFolders, messageDelta } from './folder-handlers.js';
import {
  copyMessage,
  deleteMessage,
  getMessage,
  getMime,
  listAttachments,
  listMessages,
  moveMessage,
  updateMessage,
} from './message-handlers.js';
import { parsePrefer } from './query.js';
import { addAttachment, createMessage, createUploadSession, sendDraft, sendMail } from './send-handlers.js';

type Handler = (context: GraphContext, request: GraphRequest) => GraphResponse | Promise<GraphResponse>;

interface Route {
  readonly method: string;
  /** Lower-case literals and `:name` parameters, after `users/{id}` or `me`. */
  readonly pattern: readonly string[];
  readonly kind: GraphRequestKind;
  readonly operation: GraphOperation;
  /** Refused with 507 ErrorQuotaExceeded when the mailbox is over its quota. */
  readonly growsMailbox: boolean;
  readonly handle: Handler;
}

function route(
  method: string,
  path: string,
  kind: GraphRequestKind,
  operation: GraphOperation,
  handle: Handler,
  growsMailbox = false,
): Route {
  return { method, pattern: path.split('/'), kind, operation, growsMailbox, handle };
}

const ROUTES: readonly Route[] = [
  route('POST', 'sendmail', 'sendMail', 'send', sendMail, true),
  route('GET', 'mailfolders', 'listFolders', 'read', listFolders),
  route('GET', 'mailfolders/:folder', 'getFolder', 'read', getFolder),
  route('GET', 'mailfolders/:folder/childfolders', 'listChildFolders', 'read', listFolders),
  route('GET', 'mailfolders/:folder/messages', 'listMessages', 'read', listMessages),
  route('POST', 'mailfolders/:folder/messages', 'createMessage', 'write', createMessage, true),
  route('GET', 'mailfolders/:folder/messages/delta', 'delta', 'read', messageDelta),
  route('GET', 'messages', 'listMessages', 'read', listMessages),
  route('POST', 'messages', 'createMessage', 'write', createMessage, true),
  route('GET', 'messages/:id', 'getMessage', 'read', getMessage),
  route('GET', 'messages/:id/$value', 'getMime', 'read', getMime),
  route('PATCH', 'messages/:id', 'updateMessage', 'write', updateMessage),
  route('DELETE', 'messages/:id', 'deleteMessage', 'write', deleteMessage),
  route('POST', 'messages/:id/move', 'moveMessage', 'write', moveMessage),
  route('POST', 'messages/:id/copy', 'copyMessage', 'write', copyMessage, true),
  route('POST', 'messages/:id/send', 'sendDraft', 'send', sendDraft, true),
  route('GET', 'messages/:id/attachments', 'listAttachments', 'read', listAttachments),
  route('POST', 'messages/:id/attachments', 'addAttachment', 'write', addAttachment, true),
  route(
    'POST',
    'messages/:id/attachments/createuploadsession',
    'createUploadSession',
    'write',
    createUploadSession,
    true,
  ),
];

/**
 * Path segments as Graph reads them: percent-decoded, `name('key')` split into `name`, `key`,
 * `microsoft.graph.delta()` and `delta()` as `delta`.
 */
export function pathSegments(pathname: string): string[] {
  const segments: string[] = [];
  for (const raw of pathname.split('/').filter(Boolean)) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      throw GRAPH_ERRORS.badRequest(`The path segment '${raw}' is not valid percent-encoding.`);
    }
    const keyed = /^([A-Za-z][\w.]*)\('(.*)'\)$/s.exec(segment);
    if (keyed) segments.push(keyed[1] ?? '', (keyed[2] ?? '').replaceAll("''", "'"));
    else if (/^(microsoft\.graph\.)?delta\(\)$/i.test(segment)) segments.push('delta');
    else segments.push(segment);
  }
  return segments;
}

/** Nested folder paths and folder-qualified message paths reduced to the routes' forms. */
function normalise(segments: string[]): string[] {
  let rest = segments;
  // mailFolders/{a}/childFolders/{b}/… → mailFolders/{b}/…
  while (
    rest[0]?.toLowerCase() === 'mailfolders' &&
    rest[2]?.toLowerCase() === 'childfolders' &&
    rest.length >= 4
  ) {
    rest = ['mailFolders', rest[3] ?? '', ...rest.slice(4)];
  }
  // mailFolders/{f}/messages/{id}/… → messages/{id}/…
  if (
    rest[0]?.toLowerCase() === 'mailfolders' &&
    rest[2]?.toLowerCase() === 'messages' &&
    rest.length >= 4 &&
    rest[3]?.toLowerCase() !== 'delta'
  ) {
    rest = rest.slice(2);
  }
  return rest;
}

function match(route: Route, segments: readonly string[]): Record<string, string> | undefined {
  if (route.pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of route.pattern.entries()) {
    const segment = segments[i] ?? '';
    if (part.startsWith(':')) params[part.slice(1)] = segment;
    else if (part !== segment.toLowerCase()) return undefined;
  }
  return params;
}

/** What the server read of a request to `/v1.0/…`. */
export interface IncomingGraphRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: GraphRequest['headers'];
  readonly body: Buffer;
}

/** Finds the route of a `/v1.0/…` request, runs the checks, then its handler. */
export async function dispatch(
  context: GraphContext,
  incoming: IncomingGraphRequest,
): Promise<GraphResponse> {
  const { state } = context;
  const segments = pathSegments(incoming.url.pathname).slice(1); // after v1.0
  const head = segments[0]?.toLowerCase();
  let userSegment: string | undefined;
  let rest: string[];
  if (head === 'me') {
    userSegment = 'me';
    rest = segments.slice(1);
  } else if (head === 'users' && segments.length >= 2) {
    userSegment = segments[1];
    rest = segments.slice(2);
  } else {
    state.graph.count('other');
    throw GRAPH_ERRORS.segmentNotFound(segments[0] ?? '');
  }
  rest = normalise(rest);
  let found: { route: Route; params: Record<string, string> } | undefined;
  let pathKnown = false;
  for (const candidate of ROUTES) {
    const params = match(candidate, rest);
    if (!params) continue;
    pathKnown = true;
    if (candidate.method === incoming.method) {
      found = { route: candidate, params };
      break;
    }
  }
  if (!found) {
    state.graph.count('other');
    if (pathKnown) throw GRAPH_ERRORS.methodNotAllowed(incoming.method);
    throw GRAPH_ERRORS.segmentNotFound(rest[rest.length - 1] ?? userSegment ?? '');
  }
  const { route: matched, params } = found;
  state.graph.count(matched.kind);

  const authorization = incoming.headers.authorization;
  const caller = authenticate(
    state,
    context.key,
    typeof authorization === 'string' ? authorization : undefined,
  );
  const mailbox = resolveMailbox(caller, userSegment === 'me' ? 'me' : (userSegment ?? ''));
  authorize(state, caller, mailbox, matched.operation);
  const throttle = state.graph.takeThrottle(mailbox.address);
  if (throttle) {
    throw GRAPH_ERRORS.throttled(
      throttle.status,
      throttle.code,
      throttle.message,
      throttle.retryAfterSeconds,
    );
  }
  if (matched.growsMailbox && mailbox.tenant.graph.quotaExceeded.has(mailbox.address)) {
    throw GRAPH_ERRORS.quotaExceeded();
  }
  const prefer = parsePrefer(incoming.headers.prefer);
  const contentType = String(incoming.headers['content-type'] ?? '')
    .split(';')[0]
    ?.trim()
    .toLowerCase();
  return matched.handle(context, {
    method: incoming.method,
    params,
    query: incoming.url.searchParams,
    headers: incoming.headers,
    contentType: contentType ?? '',
    body: incoming.body,
    caller,
    mailbox,
    store: context.store.ensureMailbox(mailbox.address),
    url: incoming.url,
    bodyType: prefer.bodyType,
    maxPageSize: prefer.maxPageSize,
  });
}
