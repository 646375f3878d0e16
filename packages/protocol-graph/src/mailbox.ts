/**
 * `session.store('graph')`: a small typed mailbox over Microsoft Graph — folders, messages page by
 * page, a message's MIME source byte for byte, move, delete, flag, mark read, and `watch()`.
 */
import type { Logger } from '@kalisto/core';
import type { GraphCallName, GraphClient } from './graph-client.js';
import {
  type GraphWatchHandle,
  type GraphWatchHandler,
  type GraphWatchOptions,
  watchFolder,
} from './watch.js';

/** An e-mail address as Graph gives it. */
export interface GraphEmailAddress {
  emailAddress?: { name?: string; address?: string };
}

/** A message as listed (the default `$select`; any other property you select is there too). */
export interface GraphMessage {
  id: string;
  subject?: string | null;
  from?: GraphEmailAddress | null;
  sender?: GraphEmailAddress | null;
  toRecipients?: GraphEmailAddress[];
  ccRecipients?: GraphEmailAddress[];
  receivedDateTime?: string;
  sentDateTime?: string | null;
  isRead?: boolean;
  flag?: { flagStatus?: 'notFlagged' | 'flagged' | 'complete' };
  internetMessageId?: string | null;
  parentFolderId?: string;
  hasAttachments?: boolean;
  [property: string]: unknown;
}

/** A mail folder, with its path from the top (`Inbox/Projects`). */
export interface GraphFolder {
  id: string;
  displayName: string;
  parentFolderId?: string;
  childFolderCount?: number;
  totalItemCount?: number;
  unreadItemCount?: number;
  /** Display names from the top folder down, joined with `/`. */
  path: string;
}

/** The properties `messages()` and `watch()` ask for unless told otherwise. */
export const DEFAULT_MESSAGE_SELECT: readonly string[] = [
  'id',
  'subject',
  'from',
  'sender',
  'toRecipients',
  'ccRecipients',
  'receivedDateTime',
  'sentDateTime',
  'isRead',
  'flag',
  'internetMessageId',
  'parentFolderId',
  'hasAttachments',
];

/**
 * Graph's well-known folder names (any case; IMAP's `INBOX` included): used as they are, without
 * a folder listing.
 */
export const WELL_KNOWN_FOLDERS: ReadonlySet<string> = new Set([
  'inbox',
  'drafts',
  'sentitems',
  'deleteditems',
  'junkemail',
  'archive',
  'outbox',
  'msgfolderroot',
]);

/** Options of {@link GraphMailbox.messages}. */
export interface MessagesOptions {
  /** Messages per request (`$top`), 1–1000. Default 50. */
  pageSize?: number;
  /** Properties to ask for (`$select`). Default {@link DEFAULT_MESSAGE_SELECT}. */
  select?: readonly string[];
  signal?: AbortSignal;
}

const FOLDER_SELECT = 'id,displayName,parentFolderId,childFolderCount,totalItemCount,unreadItemCount';

/** One mailbox (`mail.graph.user`, else `o365.user`) through Microsoft Graph. */
export class GraphMailbox {
  readonly #client: GraphClient;
  /** The session's logger (bound to `protocol:graph`); `watch()` reports through it by default. */
  readonly logger: Logger;

  constructor(client: GraphClient, logger: Logger) {
    this.#client = client;
    this.logger = logger;
  }

  /** The mailbox every request names (`/users/{mailbox}`). */
  get mailbox(): string {
    return this.#client.options.mailbox;
  }

  /** The client, for requests this class has no method for. */
  get client(): GraphClient {
    return this.#client;
  }

  /** Every folder, depth first, with its path (child folders of child folders too). */
  async folders(options: { signal?: AbortSignal } = {}): Promise<GraphFolder[]> {
    const all: GraphFolder[] = [];
    const seen = new Set<string>();
    const walk = async (url: string, parentPath: string): Promise<void> => {
      for await (const page of this.#pages<Omit<GraphFolder, 'path'>>(url, options.signal, 'listFolders')) {
        for (const folder of page) {
          if (seen.has(folder.id)) continue;
          seen.add(folder.id);
          const path = parentPath === '' ? folder.displayName : `${parentPath}/${folder.displayName}`;
          all.push({ ...folder, path });
          if ((folder.childFolderCount ?? 0) > 0) {
            await walk(
              this.#path(
                `/mailFolders/${encodeURIComponent(folder.id)}/childFolders?$top=100&$select=${FOLDER_SELECT}`,
              ),
              path,
            );
          }
        }
      }
    };
    await walk(this.#path(`/mailFolders?$top=100&$select=${FOLDER_SELECT}`), '');
    return all;
  }

  /**
   * The Graph id (or well-known name) of `folder`: a well-known name (`inbox`, `INBOX`,
   * `sentitems`…) as is, else a folder whose path or display name matches (any case), else
   * `folder` itself, taken as an id.
   */
  async folderId(folder: string, options: { signal?: AbortSignal } = {}): Promise<string> {
    const lower = folder.toLowerCase();
    if (WELL_KNOWN_FOLDERS.has(lower)) return lower;
    const folders = await this.folders(options);
    const match =
      folders.find((f) => f.path.toLowerCase() === lower) ??
      folders.find((f) => f.displayName.toLowerCase() === lower);
    return match?.id ?? folder;
  }

  /**
   * The messages of `folder`, one page (array) at a time, following Graph's `@odata.nextLink`:
   * `for await (const page of mailbox.messages('inbox')) …`. Stop early with `break`.
   */
  async *messages(folder: string, options: MessagesOptions = {}): AsyncGenerator<GraphMessage[]> {
    const pageSize = Math.min(1000, Math.max(1, Math.trunc(options.pageSize ?? 50)));
    const select = (options.select ?? DEFAULT_MESSAGE_SELECT).join(',');
    const id = await this.folderId(folder, options);
    yield* this.#pages<GraphMessage>(
      this.#path(`/mailFolders/${encodeURIComponent(id)}/messages?$top=${pageSize}&$select=${select}`),
      options.signal,
      'listMessages',
    );
  }

  /** One message's properties (`select`: default {@link DEFAULT_MESSAGE_SELECT}). */
  message(
    id: string,
    options: { select?: readonly string[]; signal?: AbortSignal } = {},
  ): Promise<GraphMessage> {
    const select = (options.select ?? DEFAULT_MESSAGE_SELECT).join(',');
    return this.#client.json<GraphMessage>({
      method: 'GET',
      url: this.#path(`/messages/${encodeURIComponent(id)}?$select=${select}`),
      operation: 'read',
      name: 'getMessage',
      signal: options.signal,
    });
  }

  /**
   * The message's MIME source, byte for byte as Exchange keeps it (`GET …/$value`), at most
   * `mail.graph.maxMessageBytes` (`GRAPH_RESPONSE_TOO_LARGE` beyond).
   */
  async source(id: string, options: { signal?: AbortSignal } = {}): Promise<Buffer> {
    const response = await this.#client.send({
      method: 'GET',
      url: this.#path(`/messages/${encodeURIComponent(id)}/$value`),
      operation: 'read',
      name: 'getMime',
      maxResponseBytes: this.#client.options.maxMessageBytes,
      signal: options.signal,
    });
    return response.body;
  }

  /** Moves a message to `folder` (a well-known name, path, display name or id); resolves with the moved message (a new id). */
  async move(id: string, folder: string, options: { signal?: AbortSignal } = {}): Promise<GraphMessage> {
    const destinationId = await this.folderId(folder, options);
    return this.#client.json<GraphMessage>({
      method: 'POST',
      url: this.#path(`/messages/${encodeURIComponent(id)}/move`),
      operation: 'write',
      name: 'moveMessage',
      json: { destinationId },
      signal: options.signal,
    });
  }

  /** Deletes a message (`DELETE …/messages/{id}`); Exchange keeps it recoverable for its retention period. */
  async delete(id: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.#client.send({
      method: 'DELETE',
      url: this.#path(`/messages/${encodeURIComponent(id)}`),
      operation: 'write',
      name: 'deleteMessage',
      signal: options.signal,
    });
  }

  /** Sets the follow-up flag: `true`/`'flagged'`, `false`/`'notFlagged'`, or `'complete'`. Default flagged. */
  async flag(
    id: string,
    status: boolean | 'flagged' | 'notFlagged' | 'complete' = true,
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    const flagStatus = status === true ? 'flagged' : status === false ? 'notFlagged' : status;
    await this.#update(id, { flag: { flagStatus } }, options.signal);
  }

  /** Marks a message read (default) or unread. */
  async markRead(id: string, read = true, options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.#update(id, { isRead: read }, options.signal);
  }

  /**
   * Calls `handler` once for every new message of `folder`, found through Graph's delta queries;
   * see {@link watchFolder} for the exactly-once contract and the options.
   */
  watch(folder: string, handler: GraphWatchHandler, options: GraphWatchOptions = {}): GraphWatchHandle {
    return watchFolder(this, folder, handler, options);
  }

  /** Ends the client's connections; further calls reject with `GRAPH_CLOSED`. */
  close(): Promise<void> {
    return this.#client.close();
  }

  #path(suffix: string): string {
    return this.#client.mailboxPath(suffix);
  }

  async #update(id: string, json: unknown, signal: AbortSignal | undefined): Promise<void> {
    await this.#client.send({
      method: 'PATCH',
      url: this.#path(`/messages/${encodeURIComponent(id)}`),
      operation: 'write',
      name: 'updateMessage',
      json,
      signal,
    });
  }

  async *#pages<T>(url: string, signal: AbortSignal | undefined, name: GraphCallName): AsyncGenerator<T[]> {
    let next: string | undefined = url;
    while (next !== undefined) {
      const page: { value: T[]; nextLink?: string | undefined } = await this.#client.page<T>({
        method: 'GET',
        url: next,
        operation: 'read',
        name,
        signal,
      });
      yield page.value;
      next = page.nextLink;
    }
  }
}
