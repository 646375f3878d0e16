/**
 * A session's view of its selected folder. Sequence numbers are the session's own (RFC 3501
 * section 2.3.1.2): changes made by other sessions are queued and reported as EXISTS, EXPUNGE and
 * FETCH FLAGS at the points the protocol allows, never renumbering messages behind the client's back.
 */
import type { MailFolder, StoredMessage } from '../contracts.js';
import { inRanges, parseSequenceSet } from './sequence-set.js';

/** A message of the selected folder with its sequence number in this session. */
export interface SelectedMessage {
  seq: number;
  message: StoredMessage;
}

/** Binary search by UID: a folder's messages are in ascending UID order. */
export function findByUid(folder: MailFolder, uid: number): StoredMessage | undefined {
  const messages = folder.messages;
  let low = 0;
  let high = messages.length - 1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    const message = messages[mid]!;
    if (message.uid === uid) return message;
    if (message.uid < uid) low = mid + 1;
    else high = mid - 1;
  }
  return undefined;
}

/** A parenthesised flag list, e.g. `(\\Seen \\Flagged)`. */
export function flagList(flags: Iterable<string>): string {
  return `(${[...flags].join(' ')})`;
}

/** The selected folder as one session sees it (see the module comment). */
export class Selection {
  /** UIDs in the session's sequence order. */
  readonly view: number[];
  #existsPending = false;
  #expunged: number[] = [];
  #flagsChanged = new Set<number>();
  #muted = 0;
  readonly #onExists = (message: StoredMessage): void => {
    this.view.push(message.uid);
    this.#existsPending = true;
    this.onChange();
  };
  readonly #onExpunge = (uid: number): void => {
    if (this.#muted > 0) return;
    this.#expunged.push(uid);
    this.onChange();
  };
  readonly #onFlags = (message: StoredMessage): void => {
    if (this.#muted > 0) return;
    this.#flagsChanged.add(message.uid);
    this.onChange();
  };

  constructor(
    readonly folder: MailFolder,
    readonly readOnly: boolean,
    /** Called after a change from elsewhere was queued (IDLE pushes it at once). */
    private readonly onChange: () => void,
  ) {
    this.view = folder.messages.map((m) => m.uid);
    folder.on('exists', this.#onExists);
    folder.on('expunge', this.#onExpunge);
    folder.on('flags', this.#onFlags);
  }

  dispose(): void {
    this.folder.off('exists', this.#onExists);
    this.folder.off('expunge', this.#onExpunge);
    this.folder.off('flags', this.#onFlags);
  }

  /** Runs a change of this session's own, whose flag/expunge events it reports itself. */
  muted<T>(change: () => T): T {
    this.#muted++;
    try {
      return change();
    } finally {
      this.#muted--;
    }
  }

  get maxUid(): number {
    return this.view.length > 0 ? this.view[this.view.length - 1]! : 0;
  }

  /** Messages addressed by a sequence set (or UID set), still present in the folder, in order. */
  resolve(set: string, byUid: boolean): SelectedMessage[] | undefined {
    const max = byUid ? this.maxUid : this.view.length;
    const ranges = parseSequenceSet(set, max);
    if (!ranges) return undefined;
    const out: SelectedMessage[] = [];
    if (byUid) {
      this.view.forEach((uid, index) => {
        if (!inRanges(ranges, uid)) return;
        const message = findByUid(this.folder, uid);
        if (message) out.push({ seq: index + 1, message });
      });
      return out;
    }
    for (const [low, high] of ranges) {
      for (let seq = low; seq <= Math.min(high, this.view.length); seq++) {
        const message = findByUid(this.folder, this.view[seq - 1]!);
        if (message) out.push({ seq, message });
      }
    }
    return out.sort((a, b) => a.seq - b.seq);
  }

  /** Removes a UID from the view; returns its former sequence number (for `* n EXPUNGE`). */
  remove(uid: number): number | undefined {
    const index = this.view.indexOf(uid);
    if (index === -1) return undefined;
    this.view.splice(index, 1);
    return index + 1;
  }

  /** The queued untagged responses; expunges stay queued when `allowExpunge` is false. */
  drain(allowExpunge: boolean): string[] {
    const lines: string[] = [];
    if (allowExpunge) {
      for (const uid of this.#expunged) {
        const seq = this.remove(uid);
        if (seq !== undefined) lines.push(`* ${seq} EXPUNGE`);
      }
      this.#expunged = [];
    }
    if (this.#existsPending) {
      lines.push(`* ${this.view.length} EXISTS`);
      this.#existsPending = false;
    }
    for (const uid of this.#flagsChanged) {
      const index = this.view.indexOf(uid);
      const message = findByUid(this.folder, uid);
      if (index !== -1 && message)
        lines.push(`* ${index + 1} FETCH (UID ${uid} FLAGS ${flagList(message.flags)})`);
    }
    this.#flagsChanged.clear();
    return lines;
  }
}
