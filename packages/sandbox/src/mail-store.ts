/**
 * The sandbox's in-memory mail store: one mailbox per address with Exchange Online's default
 * folders, per-folder UIDVALIDITY/UIDNEXT, and change events the IMAP/POP3 servers listen to.
 */
import { EventEmitter } from 'node:events';
import { KalistoError } from '@kalisto/core';
import type { Mailbox, MailFolder, MailStore, StoredMessage } from './contracts.js';
import { generateMessage } from './message-generator.js';

/** Exchange Online's folders every new mailbox has, in the order Outlook lists them. */
export const DEFAULT_FOLDERS = ['Inbox', 'Drafts', 'Sent Items', 'Deleted Items', 'Junk Email'] as const;

/** The hierarchy delimiter of folder names (`Inbox/Projects`), as Exchange's IMAP uses. */
export const FOLDER_DELIMITER = '/';

export interface MailStoreOptions {
  /** Mailboxes to create up front (addresses, any case). */
  mailboxes?: readonly string[];
  /** Clock for internal dates of delivered and seeded messages; defaults to `Date.now`. */
  now?: () => number;
}

interface MutableMessage extends StoredMessage {
  readonly flags: Set<string>;
}

function folderError(code: string, message: string): KalistoError {
  return new KalistoError(`[sandbox:mail-store] ${message}`, { code });
}

let uidValidityCounter = Math.floor(Date.now() / 1000) % 1_000_000_000;

/** One folder: messages in ascending UID order (so sequence number = index + 1). */
class StoreFolder extends EventEmitter implements MailFolder {
  readonly uidValidity = ++uidValidityCounter;
  #name: string;
  #uidNext = 1;
  #messages: MutableMessage[] = [];

  constructor(
    name: string,
    private readonly now: () => number,
  ) {
    super();
    // Every IMAP session in IDLE or SELECTed state listens here; 200+ concurrent sessions are normal.
    this.setMaxListeners(0);
    this.#name = name;
  }

  get name(): string {
    return this.#name;
  }

  get uidNext(): number {
    return this.#uidNext;
  }

  get messages(): readonly StoredMessage[] {
    return this.#messages;
  }

  /** Renaming keeps the UIDs and UIDVALIDITY, as Exchange does. */
  rename(name: string): void {
    this.#name = name;
  }

  append(raw: Buffer, options: { flags?: Iterable<string>; internalDate?: Date } = {}): StoredMessage {
    const message: MutableMessage = {
      uid: this.#uidNext++,
      raw,
      flags: new Set(options.flags ?? []),
      internalDate: options.internalDate ?? new Date(this.now()),
    };
    this.#messages.push(message);
    this.emit('exists', message);
    return message;
  }

  expunge(uids?: readonly number[]): number[] {
    const only = uids ? new Set(uids) : undefined;
    const removed: number[] = [];
    const kept: MutableMessage[] = [];
    for (const message of this.#messages) {
      if (message.flags.has('\\Deleted') && (!only || only.has(message.uid))) removed.push(message.uid);
      else kept.push(message);
    }
    if (removed.length === 0) return removed;
    this.#messages = kept;
    for (const uid of removed) this.emit('expunge', uid);
    return removed;
  }

  setFlags(uid: number, flags: Iterable<string>): void {
    const message = this.find(uid);
    if (!message)
      throw folderError('SANDBOX_NO_SUCH_MESSAGE', `No message with UID ${uid} in "${this.#name}".`);
    const next = [...flags]; // copied first: `flags` may be the message's own set
    message.flags.clear();
    for (const flag of next) message.flags.add(flag);
    this.emit('flags', message);
  }

  /** Binary search: UIDs only grow, so the array stays sorted by UID. */
  find(uid: number): MutableMessage | undefined {
    let low = 0;
    let high = this.#messages.length - 1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      const message = this.#messages[mid]!;
      if (message.uid === uid) return message;
      if (message.uid < uid) low = mid + 1;
      else high = mid - 1;
    }
    return undefined;
  }
}

function folderKey(name: string): string {
  return name.toLowerCase();
}

class StoreMailbox implements Mailbox {
  readonly #folders = new Map<string, StoreFolder>();

  constructor(
    readonly address: string,
    private readonly now: () => number,
  ) {
    for (const name of DEFAULT_FOLDERS) this.#folders.set(folderKey(name), new StoreFolder(name, now));
  }

  folders(): readonly MailFolder[] {
    return [...this.#folders.values()];
  }

  folder(name: string): StoreFolder | undefined {
    return this.#folders.get(folderKey(name));
  }

  createFolder(name: string): MailFolder {
    const clean = name.replace(/\/+$/, '');
    if (clean === '' || clean.split(FOLDER_DELIMITER).some((part) => part === '')) {
      throw folderError('SANDBOX_BAD_FOLDER_NAME', `"${name}" is not a valid folder name.`);
    }
    if (this.#folders.has(folderKey(clean))) {
      throw folderError('SANDBOX_FOLDER_EXISTS', `Folder "${clean}" already exists in ${this.address}.`);
    }
    const folder = new StoreFolder(clean, this.now);
    this.#folders.set(folderKey(clean), folder);
    return folder;
  }

  deleteFolder(name: string): void {
    const folder = this.requireFolder(name);
    if (isDefaultFolder(folder.name)) {
      throw folderError(
        'SANDBOX_FOLDER_PROTECTED',
        `"${folder.name}" is a default folder and cannot be deleted.`,
      );
    }
    for (const [key, candidate] of this.#folders) {
      if (candidate === folder || key.startsWith(`${folderKey(folder.name)}${FOLDER_DELIMITER}`)) {
        this.#folders.delete(key);
      }
    }
  }

  renameFolder(from: string, to: string): void {
    const folder = this.requireFolder(from);
    if (isDefaultFolder(folder.name)) {
      throw folderError(
        'SANDBOX_FOLDER_PROTECTED',
        `"${folder.name}" is a default folder and cannot be renamed.`,
      );
    }
    if (this.#folders.has(folderKey(to))) {
      throw folderError('SANDBOX_FOLDER_EXISTS', `Folder "${to}" already exists in ${this.address}.`);
    }
    const oldName = folder.name;
    const prefix = `${folderKey(oldName)}${FOLDER_DELIMITER}`;
    const moved = [...this.#folders].filter(([key, f]) => f === folder || key.startsWith(prefix));
    for (const [key] of moved) this.#folders.delete(key);
    for (const [, f] of moved) {
      f.rename(to + f.name.slice(oldName.length));
      this.#folders.set(folderKey(f.name), f);
    }
  }

  private requireFolder(name: string): StoreFolder {
    const folder = this.folder(name);
    if (!folder) throw folderError('SANDBOX_NO_SUCH_FOLDER', `No folder "${name}" in ${this.address}.`);
    return folder;
  }
}

function isDefaultFolder(name: string): boolean {
  return DEFAULT_FOLDERS.some((d) => folderKey(d) === folderKey(name));
}

/** Creates an empty in-memory mail store (plus `options.mailboxes`). */
export function createMailStore(options: MailStoreOptions = {}): MailStore {
  const now = options.now ?? Date.now;
  const mailboxes = new Map<string, StoreMailbox>();

  const store: MailStore = {
    mailbox: (address) => mailboxes.get(address.toLowerCase()),
    ensureMailbox(address) {
      const key = address.toLowerCase();
      let mailbox = mailboxes.get(key);
      if (!mailbox) {
        mailbox = new StoreMailbox(key, now);
        mailboxes.set(key, mailbox);
      }
      return mailbox;
    },
    deliver(recipients, raw) {
      const delivered: string[] = [];
      const unknown: string[] = [];
      for (const recipient of new Set(recipients.map((r) => r.toLowerCase()))) {
        const inbox = mailboxes.get(recipient)?.folder('Inbox');
        if (inbox) {
          inbox.append(raw);
          delivered.push(recipient);
        } else {
          unknown.push(recipient);
        }
      }
      return { delivered, unknown };
    },
    seed(address, { count, size = 2048, folder = 'Inbox' }) {
      const mailbox = store.ensureMailbox(address);
      const target = mailbox.folder(folder) ?? mailbox.createFolder(folder);
      const start = target.messages.length;
      const newest = now();
      for (let i = 0; i < count; i++) {
        const index = start + i;
        // One message per ten minutes back from now; older messages are mostly read.
        const date = new Date(newest - (count - i) * 600_000);
        target.append(generateMessage({ index, size, date, to: mailbox.address }), {
          flags: index % 3 === 0 ? [] : ['\\Seen'],
          internalDate: date,
        });
      }
    },
  };

  for (const address of options.mailboxes ?? []) store.ensureMailbox(address);
  return store;
}
