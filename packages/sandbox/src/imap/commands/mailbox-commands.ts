/** Folder commands: LIST, LSUB, CREATE, DELETE, RENAME, (UN)SUBSCRIBE, STATUS, SELECT, EXAMINE, APPEND. */
import { isKalistoError } from '@kalisto/core';
import type { Mailbox, MailFolder } from '../../contracts.js';
import { ImapCommandError } from '../errors.js';
import { imapString, parseImapDate } from '../format.js';
import { decodeMailboxName, encodeMailboxName } from '../mailbox-name.js';
import type { CommandSpec, ImapSession } from '../session.js';
import { argText, type ImapArg, ImapSyntaxError, type ParsedCommand } from '../tokenizer.js';

const AUTHENTICATED = ['authenticated', 'selected'] as const;
const DELIMITER = '/';

/** Exchange's default folders carry RFC 6154 special-use attributes in LIST. */
const SPECIAL_USE: Record<string, string> = {
  'sent items': '\\Sent',
  drafts: '\\Drafts',
  'deleted items': '\\Trash',
  'junk email': '\\Junk',
};

/** Flags clients may set, as Exchange reports them. */
export const SYSTEM_FLAGS = '(\\Seen \\Answered \\Flagged \\Deleted \\Draft $MDNSent)';

/** The IMAP name of a store folder: Exchange shows its Inbox as `INBOX`; modified UTF-7. */
export function imapName(folder: MailFolder): string {
  const name = /^inbox(\/|$)/i.test(folder.name) ? `INBOX${folder.name.slice(5)}` : folder.name;
  return encodeMailboxName(name);
}

function mailboxOf(session: ImapSession): Mailbox {
  if (!session.mailbox) throw new ImapCommandError('No mailbox is open.');
  return session.mailbox;
}

/** A folder name argument, decoded from modified UTF-7 to the store's Unicode name. */
export function folderArg(arg: ImapArg | undefined): string {
  const name = argText(arg);
  if (name === undefined) throw new ImapSyntaxError('Missing folder name');
  return decodeMailboxName(name);
}

/** Runs a store change and turns its KalistoError into `NO <message>`. */
function storeChange(session: ImapSession, command: ParsedCommand, change: () => void, done: string): void {
  try {
    change();
  } catch (error) {
    if (!isKalistoError(error)) throw error;
    session.complete(command, 'NO', error.message.replace(/^\[sandbox:mail-store\] /, ''));
    return;
  }
  session.complete(command, 'OK', done);
}

/** CREATE makes missing superior folders too (RFC 3501 6.3.3), as Exchange does. */
function createWithParents(mailbox: Mailbox, name: string): void {
  const parts = name.split(DELIMITER);
  for (let depth = 1; depth < parts.length; depth++) {
    const parent = parts.slice(0, depth).join(DELIMITER);
    if (parent && !mailbox.folder(parent)) mailbox.createFolder(parent);
  }
  mailbox.createFolder(name);
}

function patternRegex(reference: string, pattern: string): RegExp {
  const source = (reference + pattern)
    .split('')
    .map((ch) => (ch === '*' ? '.*' : ch === '%' ? '[^/]*' : ch.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, 'i');
}

function unsubscribedOf(session: ImapSession): Set<string> {
  const mailbox = mailboxOf(session);
  let set = session.context.unsubscribed.get(mailbox);
  if (!set) {
    set = new Set();
    session.context.unsubscribed.set(mailbox, set);
  }
  return set;
}

function listFolders(session: ImapSession, command: ParsedCommand, subscribedOnly: boolean): void {
  // Patterns are matched against the names as listed (modified UTF-7), so they stay encoded.
  const reference = argText(command.args[0]);
  const pattern = argText(command.args[1]);
  if (reference === undefined || pattern === undefined)
    throw new ImapSyntaxError('LIST needs a reference and a pattern');
  const kind = subscribedOnly ? 'LSUB' : 'LIST';
  if (pattern === '') {
    session.untagged(`${kind} (\\Noselect) "${DELIMITER}" ""`);
    session.complete(command, 'OK', `${kind} completed.`);
    return;
  }
  const regex = patternRegex(reference, pattern);
  const folders = mailboxOf(session).folders();
  const unsubscribed = unsubscribedOf(session);
  for (const folder of folders) {
    const name = imapName(folder);
    if (!regex.test(name)) continue;
    if (subscribedOnly && unsubscribed.has(folder.name.toLowerCase())) continue;
    const prefix = `${folder.name.toLowerCase()}${DELIMITER}`;
    const hasChildren = folders.some((f) => f.name.toLowerCase().startsWith(prefix));
    const flags = [hasChildren ? '\\HasChildren' : '\\HasNoChildren'];
    const special = SPECIAL_USE[folder.name.toLowerCase()];
    if (special) flags.push(special);
    session.untagged([`${kind} (${flags.join(' ')}) "${DELIMITER}" `, imapString(name)]);
  }
  session.complete(command, 'OK', `${kind} completed.`);
}

function statusItems(folder: MailFolder, names: readonly string[]): string {
  const values: Record<string, () => number> = {
    MESSAGES: () => folder.messages.length,
    RECENT: () => 0,
    UIDNEXT: () => folder.uidNext,
    UIDVALIDITY: () => folder.uidValidity,
    UNSEEN: () => folder.messages.filter((m) => !m.flags.has('\\Seen')).length,
  };
  return names
    .map((name) => {
      const value = values[name];
      if (!value) throw new ImapSyntaxError(`Unknown STATUS item "${name}"`);
      return `${name} ${value()}`;
    })
    .join(' ');
}

function openFolder(session: ImapSession, command: ParsedCommand, readOnly: boolean): void {
  const folder = mailboxOf(session).folder(folderArg(command.args[0]));
  if (!folder) {
    session.deselect();
    session.tagged(command.tag, 'NO', 'Folder not found.');
    return;
  }
  const selection = session.select(folder, readOnly);
  session.untagged(`${selection.view.length} EXISTS`);
  session.untagged('0 RECENT');
  session.untagged(`FLAGS ${SYSTEM_FLAGS}`);
  session.untagged(`OK [PERMANENTFLAGS ${readOnly ? '()' : SYSTEM_FLAGS}] Permanent flags`);
  const firstUnseen = folder.messages.findIndex((m) => !m.flags.has('\\Seen'));
  if (firstUnseen !== -1) session.untagged(`OK [UNSEEN ${firstUnseen + 1}] Is the first unseen message`);
  session.untagged(`OK [UIDVALIDITY ${folder.uidValidity}] UIDVALIDITY value`);
  session.untagged(`OK [UIDNEXT ${folder.uidNext}] The next unique identifier value`);
  session.tagged(command.tag, 'OK', `[${readOnly ? 'READ-ONLY' : 'READ-WRITE'}] ${command.name} completed.`);
}

function append(session: ImapSession, command: ParsedCommand): void {
  const args = command.args;
  const message = args[args.length - 1];
  if (args.length < 2 || !message || message.type !== 'string')
    throw new ImapSyntaxError('APPEND needs a message');
  let flags: string[] = [];
  let internalDate: Date | undefined;
  for (const arg of args.slice(1, -1)) {
    if (arg.type === 'list') {
      flags = arg.items.map((item) => argText(item) ?? '');
    } else {
      internalDate = parseImapDate(arg.value);
      if (!internalDate) throw new ImapSyntaxError(`Invalid date "${arg.value}"`);
    }
  }
  const folder = mailboxOf(session).folder(folderArg(args[0]));
  if (!folder) {
    session.complete(command, 'NO', "[TRYCREATE] Folder doesn't exist.");
    return;
  }
  if (message.bytes.length === 0) throw new ImapSyntaxError('Empty message');
  const stored = folder.append(Buffer.from(message.bytes), {
    flags,
    ...(internalDate ? { internalDate } : {}),
  });
  session.complete(command, 'OK', `[APPENDUID ${folder.uidValidity} ${stored.uid}] APPEND completed.`);
}

/** SUBSCRIBE or UNSUBSCRIBE a folder: whether LSUB lists it. */
function subscription(verb: 'SUBSCRIBE' | 'UNSUBSCRIBE'): CommandSpec {
  return {
    states: AUTHENTICATED,
    run(session, command) {
      const folder = mailboxOf(session).folder(folderArg(command.args[0]));
      if (!folder) return session.complete(command, 'NO', 'Folder not found.');
      const unsubscribed = unsubscribedOf(session);
      const name = folder.name.toLowerCase();
      if (verb === 'SUBSCRIBE') unsubscribed.delete(name);
      else unsubscribed.add(name);
      session.complete(command, 'OK', `${verb} completed.`);
    },
  };
}

export const mailboxCommands: Record<string, CommandSpec> = {
  LIST: { states: AUTHENTICATED, run: (session, command) => listFolders(session, command, false) },
  LSUB: { states: AUTHENTICATED, run: (session, command) => listFolders(session, command, true) },
  CREATE: {
    states: AUTHENTICATED,
    run(session, command) {
      const name = folderArg(command.args[0]).replace(/\/+$/, '');
      storeChange(session, command, () => createWithParents(mailboxOf(session), name), 'CREATE completed.');
    },
  },
  DELETE: {
    states: AUTHENTICATED,
    run(session, command) {
      const name = folderArg(command.args[0]);
      storeChange(session, command, () => mailboxOf(session).deleteFolder(name), 'DELETE completed.');
    },
  },
  RENAME: {
    states: AUTHENTICATED,
    run(session, command) {
      const [from, to] = [folderArg(command.args[0]), folderArg(command.args[1])];
      storeChange(session, command, () => mailboxOf(session).renameFolder(from, to), 'RENAME completed.');
    },
  },
  SUBSCRIBE: subscription('SUBSCRIBE'),
  UNSUBSCRIBE: subscription('UNSUBSCRIBE'),
  STATUS: {
    states: AUTHENTICATED,
    run(session, command) {
      const folder = mailboxOf(session).folder(folderArg(command.args[0]));
      const items = command.args[1];
      if (items?.type !== 'list') throw new ImapSyntaxError('STATUS needs a list of items');
      if (!folder) return session.complete(command, 'NO', 'Folder not found.');
      const names = items.items.map((i) => (argText(i) ?? '').toUpperCase());
      session.untagged(['STATUS ', imapString(imapName(folder)), ` (${statusItems(folder, names)})`]);
      session.complete(command, 'OK', 'STATUS completed.');
    },
  },
  SELECT: { states: AUTHENTICATED, run: (session, command) => openFolder(session, command, false) },
  EXAMINE: { states: AUTHENTICATED, run: (session, command) => openFolder(session, command, true) },
  APPEND: { states: AUTHENTICATED, run: append },
};
