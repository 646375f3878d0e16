/**
 * Delta queries on a folder's messages. A round starts from a state (nothing, for the first
 * round; the snapshot a `$deltatoken` names, for later ones), compares it with the folder as it
 * is — new UIDs are created, changed flags updated, vanished UIDs `@removed` — and serves those
 * changes page by page (`$skiptoken`), ending with a `$deltatoken` for the folder as the round
 * saw it. Whatever path changed the folder (Graph, SMTP, IMAP APPEND/EXPUNGE) shows up, because
 * rounds compare states rather than log events. Tokens are reusable; the oldest are forgotten
 * once there are many (410 SyncStateNotFound).
 */
import { randomBytes } from 'node:crypto';
import type { MailFolder, StoredMessage } from '../contracts.js';
import { GRAPH_ERRORS } from './errors.js';
import { messageVersion } from './message-view.js';

/** uid → version (see `messageVersion`). */
export type Snapshot = ReadonlyMap<number, string>;

export type ChangeType = 'created' | 'updated' | 'deleted';

/** The options fixed when a round series starts (Graph encodes them into its tokens). */
export interface DeltaOptions {
  readonly select: readonly string[] | undefined;
  readonly changeType: ChangeType | undefined;
  readonly filter: ((message: StoredMessage) => boolean) | undefined;
  /** Page size when a request states none (`Prefer: odata.maxpagesize` states one per request). */
  readonly pageSize: number;
}

export type DeltaEntry = { kind: 'upsert'; uid: number } | { kind: 'removed'; uid: number };

interface Round {
  readonly id: string;
  readonly mailbox: string;
  readonly uidValidity: number;
  readonly options: DeltaOptions;
  readonly entries: readonly DeltaEntry[];
  /** The folder as this round saw it: the state its deltatoken names. */
  readonly snapshot: Snapshot;
  deltaToken: string | undefined;
}

interface DeltaState {
  readonly mailbox: string;
  readonly uidValidity: number;
  readonly options: DeltaOptions;
  readonly snapshot: Snapshot;
}

/** One page of a round. */
export interface DeltaPage {
  readonly mailbox: string;
  readonly uidValidity: number;
  readonly options: DeltaOptions;
  readonly entries: readonly DeltaEntry[];
  readonly skipToken: string | undefined;
  readonly deltaToken: string | undefined;
}

const TOKEN = /^[A-Za-z0-9_-]{22}$/;
const SKIP_TOKEN = /^([A-Za-z0-9_-]{22})\.(\d+)$/;
const MAX_ROUNDS = 1_000;
const MAX_STATES = 5_000;

function newToken(): string {
  return randomBytes(16).toString('base64url');
}

/** Keeps at most `max` entries, forgetting the oldest. */
function remember<T>(map: Map<string, T>, key: string, value: T, max: number): void {
  map.set(key, value);
  while (map.size > max) {
    const oldest = map.keys().next().value;
    if (oldest === undefined) break;
    map.delete(oldest);
  }
}

function snapshotOf(folder: MailFolder, options: DeltaOptions): Map<number, string> {
  const snapshot = new Map<number, string>();
  for (const message of folder.messages) {
    if (options.filter && !options.filter(message)) continue;
    if (message.flags.has('\\Deleted')) continue;
    snapshot.set(message.uid, messageVersion(message));
  }
  return snapshot;
}

function sameSnapshot(a: Snapshot, b: Snapshot): boolean {
  if (a.size !== b.size) return false;
  for (const [uid, version] of a) if (b.get(uid) !== version) return false;
  return true;
}

export class DeltaTracker {
  readonly #rounds = new Map<string, Round>();
  readonly #states = new Map<string, DeltaState>();

  /** The first page of a round starting from `token`'s state, or from nothing. */
  start(
    folder: MailFolder,
    mailbox: string,
    from: { deltaToken: string } | { options: DeltaOptions },
    pageSize?: number,
  ): DeltaPage {
    let previous: Snapshot = new Map();
    let options: DeltaOptions;
    if ('deltaToken' in from) {
      const state = this.#state(from.deltaToken);
      if (state.mailbox !== mailbox || state.uidValidity !== folder.uidValidity)
        throw GRAPH_ERRORS.syncStateInvalid();
      previous = state.snapshot;
      options = state.options;
    } else {
      options = from.options;
    }
    const current = snapshotOf(folder, options);
    const entries: DeltaEntry[] = [];
    const wanted = (type: ChangeType) => options.changeType === undefined || options.changeType === type;
    for (const uid of previous.keys()) {
      if (!current.has(uid) && wanted('deleted')) entries.push({ kind: 'removed', uid });
    }
    // Newest first, as Graph lists messages.
    for (const uid of [...current.keys()].reverse()) {
      const before = previous.get(uid);
      if (before === undefined ? wanted('created') : before !== current.get(uid) && wanted('updated')) {
        entries.push({ kind: 'upsert', uid });
      }
    }
    const round: Round = {
      id: newToken(),
      mailbox,
      uidValidity: folder.uidValidity,
      options,
      entries,
      // Unchanged folder: share the previous snapshot instead of holding a copy per token.
      snapshot: sameSnapshot(previous, current) ? previous : current,
      deltaToken: undefined,
    };
    remember(this.#rounds, round.id, round, MAX_ROUNDS);
    return this.#page(round, 0, pageSize);
  }

  /** The page a `$skiptoken` names (the same page again when a link is followed twice). */
  next(skipToken: string, mailbox: string, uidValidity: number, pageSize?: number): DeltaPage {
    const match = SKIP_TOKEN.exec(skipToken);
    if (!match) throw GRAPH_ERRORS.syncStateInvalid();
    const round = this.#rounds.get(match[1] ?? '');
    if (!round) throw GRAPH_ERRORS.syncStateNotFound();
    if (round.mailbox !== mailbox || round.uidValidity !== uidValidity) throw GRAPH_ERRORS.syncStateInvalid();
    return this.#page(round, Number(match[2]), pageSize);
  }

  #state(token: string): DeltaState {
    if (!TOKEN.test(token)) throw GRAPH_ERRORS.syncStateInvalid();
    const state = this.#states.get(token);
    if (!state) throw GRAPH_ERRORS.syncStateNotFound();
    // A token in use is the last one to forget.
    this.#states.delete(token);
    this.#states.set(token, state);
    return state;
  }

  #page(round: Round, position: number, pageSize = round.options.pageSize): DeltaPage {
    const end = position + pageSize;
    const entries = round.entries.slice(position, end);
    const common = {
      mailbox: round.mailbox,
      uidValidity: round.uidValidity,
      options: round.options,
      entries,
    };
    if (end < round.entries.length) {
      return { ...common, skipToken: `${round.id}.${end}`, deltaToken: undefined };
    }
    if (!round.deltaToken) {
      round.deltaToken = newToken();
      remember(
        this.#states,
        round.deltaToken,
        {
          mailbox: round.mailbox,
          uidValidity: round.uidValidity,
          options: round.options,
          snapshot: round.snapshot,
        },
        MAX_STATES,
      );
    }
    return { ...common, skipToken: undefined, deltaToken: round.deltaToken };
  }
}
