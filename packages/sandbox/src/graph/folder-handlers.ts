/** Folders (`mailFolders`, one folder, `childFolders`) and a folder's message delta. */
import {
  apiBase,
  type GraphContext,
  type GraphRequest,
  type GraphResponse,
  messageId,
  page,
  viewOf,
} from './context.js';
import type { ChangeType, DeltaPage } from './delta.js';
import { GRAPH_ERRORS } from './errors.js';
import {
  childFolders,
  FOLDER_PROPERTIES,
  findFolder,
  findMessageFolder,
  folderId,
  folderJson,
  rootJson,
} from './folders.js';
import { messageJson, messageProperties } from './message-view.js';
import { parseFilter, parseListQuery, parseSelect } from './query.js';

function selectFolder(
  json: Record<string, unknown>,
  select: readonly string[] | undefined,
): Record<string, unknown> {
  if (!select) return json;
  for (const name of select) {
    if (!(FOLDER_PROPERTIES as readonly string[]).includes(name))
      throw GRAPH_ERRORS.unknownProperty(name, 'mailFolder');
  }
  return Object.fromEntries(Object.entries(json).filter(([name]) => name === 'id' || select.includes(name)));
}

function folderContext(context: GraphContext, request: GraphRequest, path: string): string {
  return `${apiBase(context)}/$metadata#users('${encodeURIComponent(request.mailbox.address)}')/${path}`;
}

/** GET …/mailFolders (the root's children) and …/mailFolders/{id}/childFolders. */
export function listFolders(context: GraphContext, request: GraphRequest): GraphResponse {
  const query = parseListQuery(new URLSearchParams([...request.query].filter(([k]) => k !== '$orderby')));
  const target =
    request.params.folder === undefined
      ? { kind: 'root' as const }
      : findFolder(request.store, request.params.folder);
  const folders = childFolders(request.store, target).map((f) => folderJson(request.store, f));
  const { items, nextLink } = page(folders, request, query);
  return {
    status: 200,
    json: {
      '@odata.context': folderContext(
        context,
        request,
        request.params.folder === undefined ? 'mailFolders' : 'mailFolders/childFolders',
      ),
      ...(query.count ? { '@odata.count': folders.length } : {}),
      value: items.map((f) => selectFolder(f, query.select)),
      ...(nextLink ? { '@odata.nextLink': nextLink } : {}),
    },
  };
}

/** GET …/mailFolders/{id or well-known name}. */
export function getFolder(context: GraphContext, request: GraphRequest): GraphResponse {
  const target = findFolder(request.store, request.params.folder ?? '');
  const json = target.kind === 'root' ? rootJson(request.store) : folderJson(request.store, target.folder);
  return {
    status: 200,
    json: {
      '@odata.context': folderContext(context, request, 'mailFolders/$entity'),
      ...selectFolder(json, parseSelect(request.query)),
    },
  };
}

function changeTypeOf(query: URLSearchParams): ChangeType | undefined {
  const value = query.get('changeType');
  if (value === null) return undefined;
  if (value !== 'created' && value !== 'updated' && value !== 'deleted') {
    throw GRAPH_ERRORS.invalidQuery(`changeType must be created, updated or deleted, not '${value}'.`);
  }
  return value;
}

/** GET …/mailFolders/{id}/messages/delta: one page of a round (see DeltaTracker). */
export async function messageDelta(context: GraphContext, request: GraphRequest): Promise<GraphResponse> {
  const folder = findMessageFolder(request.store, request.params.folder ?? '');
  const address = request.mailbox.address;
  const skipToken = request.query.get('$skiptoken');
  const deltaToken = request.query.get('$deltatoken');
  let delta: DeltaPage;
  const pageSize = request.maxPageSize;
  if (skipToken !== null) delta = context.delta.next(skipToken, address, folder.uidValidity, pageSize);
  else if (deltaToken !== null) delta = context.delta.start(folder, address, { deltaToken }, pageSize);
  else {
    const select = parseSelect(request.query);
    messageProperties(select); // refuse unknown names now, not on a later page
    const top = request.query.get('$top');
    delta = context.delta.start(
      folder,
      address,
      {
        options: {
          select,
          changeType: changeTypeOf(request.query),
          filter: parseFilter(request.query.get('$filter')),
          pageSize: top === null ? 10 : Math.max(1, Math.min(Number(top) || 10, 1000)),
        },
      },
      pageSize,
    );
  }
  const properties = messageProperties(delta.options.select);
  const byUid = new Map(folder.messages.map((m) => [m.uid, m]));
  const value: Record<string, unknown>[] = [];
  for (const entry of delta.entries) {
    if (entry.kind === 'removed') {
      value.push({
        '@odata.type': '#microsoft.graph.message',
        id: messageId(address, folder, entry.uid),
        '@removed': { reason: 'deleted' },
      });
      continue;
    }
    const message = byUid.get(entry.uid);
    // Gone since the round started: the next round reports it removed.
    if (!message) continue;
    value.push(
      await messageJson(viewOf(address, folder, message), properties, {
        bodyType: request.bodyType,
        webBase: context.origin(),
      }),
    );
  }
  const link = `${apiBase(context)}/users('${encodeURIComponent(address)}')/mailFolders('${encodeURIComponent(folderId(address, folder))}')/messages/microsoft.graph.delta()`;
  return {
    status: 200,
    json: {
      '@odata.context': `${apiBase(context)}/$metadata#Collection(message)`,
      value,
      ...(delta.skipToken
        ? { '@odata.nextLink': `${link}?$skiptoken=${delta.skipToken}` }
        : { '@odata.deltaLink': `${link}?$deltatoken=${delta.deltaToken}` }),
    },
  };
}
