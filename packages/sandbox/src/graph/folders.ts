/**
 * The store's folders as Graph `mailFolder` resources: ids, Exchange's well-known names
 * (`inbox`, `sentitems`, …, `msgfolderroot`), the hierarchy (`Inbox/Projects` is a child of
 * Inbox) and the counts Graph reports.
 */
import type { Mailbox, MailFolder } from '../contracts.js';
import { GRAPH_ERRORS } from './errors.js';
import { decodeId, encodeId } from './ids.js';

/** Graph's well-known folder names → the store's (Exchange's) display names. */
export const WELL_KNOWN_FOLDERS: Readonly<Record<string, string>> = {
  inbox: 'Inbox',
  drafts: 'Drafts',
  sentitems: 'Sent Items',
  deleteditems: 'Deleted Items',
  junkemail: 'Junk Email',
  archive: 'Archive',
};

const ROOT_NAME = 'Top of Information Store';
const DELIMITER = '/';

/** A folder, or the mailbox's root (`msgfolderroot`), which holds the top-level folders. */
export type FolderTarget = { kind: 'root' } | { kind: 'folder'; folder: MailFolder };

/** The mailFolder properties Graph returns (the names `$select` accepts). */
export const FOLDER_PROPERTIES = [
  'id',
  'displayName',
  'parentFolderId',
  'childFolderCount',
  'unreadItemCount',
  'totalItemCount',
  'sizeInBytes',
  'isHidden',
] as const;

export function folderId(address: string, folder: MailFolder): string {
  return encodeId({ kind: 'folder', mailbox: address, uidValidity: folder.uidValidity });
}

export function rootFolderId(address: string): string {
  return encodeId({ kind: 'root', mailbox: address });
}

/** The folder `idOrName` names in `mailbox`: 404 ErrorFolderNotFound / ErrorItemNotFound, 400 for a malformed id. */
export function findFolder(mailbox: Mailbox, idOrName: string): FolderTarget {
  const lower = idOrName.toLowerCase();
  if (lower === 'msgfolderroot') return { kind: 'root' };
  const wellKnown = WELL_KNOWN_FOLDERS[lower];
  if (wellKnown) {
    const folder = mailbox.folder(wellKnown);
    if (!folder) throw GRAPH_ERRORS.folderNotFound();
    return { kind: 'folder', folder };
  }
  const ref = decodeId(idOrName);
  if (ref.mailbox !== mailbox.address) throw GRAPH_ERRORS.itemNotFound();
  if (ref.kind === 'root') return { kind: 'root' };
  if (ref.kind !== 'folder') throw GRAPH_ERRORS.itemNotFound();
  const folder = folderByUidValidity(mailbox, ref.uidValidity);
  if (!folder) throw GRAPH_ERRORS.itemNotFound();
  return { kind: 'folder', folder };
}

/** A folder that must be a real folder (not the root): messages live in folders only. */
export function findMessageFolder(mailbox: Mailbox, idOrName: string): MailFolder {
  const target = findFolder(mailbox, idOrName);
  if (target.kind === 'root') throw GRAPH_ERRORS.folderNotFound();
  return target.folder;
}

export function folderByUidValidity(mailbox: Mailbox, uidValidity: number): MailFolder | undefined {
  return mailbox.folders().find((f) => f.uidValidity === uidValidity);
}

function parentName(name: string): string | undefined {
  const slash = name.lastIndexOf(DELIMITER);
  return slash < 0 ? undefined : name.slice(0, slash);
}

/** The folders directly under `target`, in the store's order. */
export function childFolders(mailbox: Mailbox, target: FolderTarget): MailFolder[] {
  const parent = target.kind === 'root' ? undefined : target.folder.name.toLowerCase();
  return mailbox.folders().filter((f) => {
    const p = parentName(f.name);
    if (parent === undefined) return p === undefined || !mailbox.folder(p);
    return p?.toLowerCase() === parent;
  });
}

/** A folder's Graph representation. */
export function folderJson(mailbox: Mailbox, folder: MailFolder): Record<string, unknown> {
  const parent = parentName(folder.name);
  const parentFolder = parent === undefined ? undefined : mailbox.folder(parent);
  let unread = 0;
  let size = 0;
  for (const message of folder.messages) {
    if (!message.flags.has('\\Seen')) unread += 1;
    size += message.raw.length;
  }
  return {
    id: folderId(mailbox.address, folder),
    displayName: parent === undefined ? folder.name : folder.name.slice(parent.length + 1),
    parentFolderId: parentFolder ? folderId(mailbox.address, parentFolder) : rootFolderId(mailbox.address),
    childFolderCount: childFolders(mailbox, { kind: 'folder', folder }).length,
    unreadItemCount: unread,
    totalItemCount: folder.messages.length,
    sizeInBytes: size,
    isHidden: false,
  };
}

/** The root folder's Graph representation. */
export function rootJson(mailbox: Mailbox): Record<string, unknown> {
  return {
    id: rootFolderId(mailbox.address),
    displayName: ROOT_NAME,
    parentFolderId: encodeId({ kind: 'root', mailbox: `${mailbox.address}#parent` }),
    childFolderCount: childFolders(mailbox, { kind: 'root' }).length,
    unreadItemCount: 0,
    totalItemCount: 0,
    sizeInBytes: 0,
    isHidden: false,
  };
}
