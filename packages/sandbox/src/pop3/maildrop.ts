/**
 * A POP3 maildrop: the mailbox's Inbox as it was when the session authenticated (RFC 1939 numbers
 * messages for the whole session), with the session's deletion marks and the UPDATE-state commit.
 */
import type { MailFolder, StoredMessage } from '../contracts.js';

/** Why a message number cannot be used. */
export type MessageLookupFailure = 'no_such_message' | 'deleted';

export type MessageLookup =
  | { ok: true; message: StoredMessage; number: number }
  | { ok: false; reason: MessageLookupFailure };

const DELETED_FLAG = '\\Deleted';

/** Adds a dot before every line that starts with one (RFC 1939 section 3 byte-stuffing). */
export function dotStuff(raw: Buffer): Buffer {
  const text = raw.toString('latin1').replace(/(^|\n)\./g, '$1..');
  return Buffer.from(text, 'latin1');
}

/** The lines of a multi-line reply body: stuffed, CRLF-terminated, followed by the `.` line. */
export function multilineBody(raw: Buffer): Buffer {
  const stuffed = dotStuff(raw);
  const endsWithLine = stuffed.length === 0 || stuffed.subarray(-2).toString('latin1') === '\r\n';
  return Buffer.concat([stuffed, Buffer.from(endsWithLine ? '.\r\n' : '\r\n.\r\n', 'latin1')]);
}

/** The header section, the blank line and the first `lines` lines of the body (TOP). */
export function messageTop(raw: Buffer, lines: number): Buffer {
  const text = raw.toString('latin1');
  const crlf = text.indexOf('\r\n\r\n');
  const lf = text.indexOf('\n\n');
  if (crlf === -1 && lf === -1) return raw;
  const bodyStart = crlf !== -1 && (lf === -1 || crlf < lf) ? crlf + 4 : lf + 2;
  let end = bodyStart;
  for (let taken = 0; taken < lines && end < text.length; taken++) {
    const next = text.indexOf('\n', end);
    end = next === -1 ? text.length : next + 1;
  }
  return raw.subarray(0, end);
}

export class Maildrop {
  readonly #messages: readonly StoredMessage[];
  readonly #deleted = new Set<number>();

  constructor(private readonly folder: MailFolder) {
    this.#messages = [...folder.messages];
  }

  /** Unique id of a message for UIDL: stable across sessions while the folder keeps its UIDVALIDITY. */
  uniqueId(message: StoredMessage): string {
    return `${this.folder.uidValidity}.${message.uid}`;
  }

  /** Message numbers and messages not marked deleted, in order. */
  live(): Array<{ number: number; message: StoredMessage }> {
    return this.#messages
      .map((message, index) => ({ number: index + 1, message }))
      .filter(({ number }) => !this.#deleted.has(number));
  }

  /** Count and total size in octets of the messages not marked deleted. */
  stat(): { count: number; size: number } {
    const live = this.live();
    return { count: live.length, size: live.reduce((sum, { message }) => sum + message.raw.length, 0) };
  }

  lookup(number: number): MessageLookup {
    const message = Number.isInteger(number) ? this.#messages[number - 1] : undefined;
    if (!message || number < 1) return { ok: false, reason: 'no_such_message' };
    if (this.#deleted.has(number)) return { ok: false, reason: 'deleted' };
    return { ok: true, message, number };
  }

  markDeleted(number: number): void {
    this.#deleted.add(number);
  }

  /** RSET: forgets every deletion mark. */
  reset(): void {
    this.#deleted.clear();
  }

  /** UPDATE state: removes the marked messages from the store (those still there). */
  commit(): number[] {
    const present = new Set(this.folder.messages.map((m) => m.uid));
    const uids: number[] = [];
    for (const number of this.#deleted) {
      const message = this.#messages[number - 1];
      if (!message || !present.has(message.uid)) continue;
      this.folder.setFlags(message.uid, [...message.flags, DELETED_FLAG]);
      uids.push(message.uid);
    }
    this.#deleted.clear();
    return uids.length === 0 ? [] : this.folder.expunge(uids);
  }
}
