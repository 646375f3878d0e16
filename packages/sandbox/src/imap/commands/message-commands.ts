/** Commands on the selected folder: FETCH, STORE, SEARCH, COPY, MOVE, EXPUNGE, CLOSE, UNSELECT, IDLE. */
import type { MailFolder } from '../../contracts.js';
import { ImapCommandError } from '../errors.js';
import { parseFetchItems, renderFetch, setsSeen } from '../fetch.js';
import { compileSearch } from '../search.js';
import { flagList, type SelectedMessage, type Selection } from '../selection.js';
import { formatSequenceSet } from '../sequence-set.js';
import type { CommandSpec, ImapSession } from '../session.js';
import { argText, ImapSyntaxError, type ParsedCommand } from '../tokenizer.js';
import { folderArg } from './mailbox-commands.js';

const SELECTED = ['selected'] as const;

function selectionOf(session: ImapSession): Selection {
  if (!session.selection) throw new ImapCommandError('No folder is selected.');
  return session.selection;
}

const byUid = (command: ParsedCommand): boolean => command.name.startsWith('UID ');

function resolveSet(session: ImapSession, command: ParsedCommand): SelectedMessage[] {
  const set = argText(command.args[0]);
  const messages = set === undefined ? undefined : selectionOf(session).resolve(set, byUid(command));
  if (!messages) throw new ImapSyntaxError('Invalid sequence set');
  return messages;
}

function requireWritable(selection: Selection): void {
  if (selection.readOnly) throw new ImapCommandError('Folder is read-only.');
}

/** Expunges `uids` (or every \Deleted message) and reports `* n EXPUNGE` for each. */
function expunge(session: ImapSession, uids?: readonly number[]): void {
  const selection = selectionOf(session);
  const removed = selection.muted(() => selection.folder.expunge(uids));
  for (const uid of removed) {
    const seq = selection.remove(uid);
    if (seq !== undefined) session.untagged(`${seq} EXPUNGE`);
  }
}

function fetch(session: ImapSession, command: ParsedCommand): void {
  const selection = selectionOf(session);
  const items = parseFetchItems(command.args[1], byUid(command));
  const markSeen = setsSeen(items) && !selection.readOnly;
  for (const { seq, message } of resolveSet(session, command)) {
    if (markSeen && !message.flags.has('\\Seen')) {
      selection.muted(() => selection.folder.setFlags(message.uid, [...message.flags, '\\Seen']));
      if (!items.some((i) => i.kind === 'FLAGS')) items.push({ kind: 'FLAGS' });
    }
    session.send([`* ${seq} FETCH `, renderFetch(message, items), '\r\n']);
  }
  session.complete(command, 'OK', `${command.name} completed.`);
}

function store(session: ImapSession, command: ParsedCommand): void {
  const selection = selectionOf(session);
  requireWritable(selection);
  const action = argText(command.args[1])?.toUpperCase() ?? '';
  const match = /^([+-]?)FLAGS(\.SILENT)?$/.exec(action);
  if (!match) throw new ImapSyntaxError(`Invalid STORE action "${action}"`);
  const flagArgs = command.args.slice(2);
  const flags = flagArgs.flatMap((arg) => (arg.type === 'list' ? arg.items.map(argText) : [argText(arg)]));
  if (flags.some((f) => f === undefined)) throw new ImapSyntaxError('Invalid flag');
  for (const { seq, message } of resolveSet(session, command)) {
    const next = new Set(match[1] === '' ? [] : message.flags);
    for (const flag of flags as string[]) {
      if (match[1] === '-') next.delete(flag);
      else next.add(flag);
    }
    selection.muted(() => selection.folder.setFlags(message.uid, next));
    if (!match[2]) session.untagged(`${seq} FETCH (FLAGS ${flagList(message.flags)} UID ${message.uid})`);
  }
  session.complete(command, 'OK', `${command.name} completed.`);
}

function search(session: ImapSession, command: ParsedCommand): void {
  const selection = selectionOf(session);
  const predicate = compileSearch(command.args);
  const uid = byUid(command);
  const maxSeq = selection.view.length;
  const maxUid = selection.maxUid;
  const hits: number[] = [];
  for (const { seq, message } of selection.resolve(`1:${Math.max(1, maxSeq)}`, false) ?? []) {
    if (predicate({ message, seq, maxSeq, maxUid })) hits.push(uid ? message.uid : seq);
  }
  session.untagged(hits.length > 0 ? `SEARCH ${hits.join(' ')}` : 'SEARCH');
  session.complete(command, 'OK', `${command.name} completed.`);
}

function targetFolder(session: ImapSession, command: ParsedCommand): MailFolder | undefined {
  return session.mailbox?.folder(folderArg(command.args[1]));
}

function copyOrMove(session: ImapSession, command: ParsedCommand, move: boolean): void {
  const selection = selectionOf(session);
  if (move) requireWritable(selection);
  const target = targetFolder(session, command);
  if (!target) {
    session.complete(command, 'NO', "[TRYCREATE] Folder doesn't exist.");
    return;
  }
  const messages = resolveSet(session, command);
  if (messages.length === 0) {
    session.complete(command, 'OK', `${command.name} completed.`);
    return;
  }
  const sourceUids: number[] = [];
  const targetUids: number[] = [];
  for (const { message } of messages) {
    const copy = target.append(message.raw, { flags: message.flags, internalDate: message.internalDate });
    sourceUids.push(message.uid);
    targetUids.push(copy.uid);
  }
  const copyUid = `[COPYUID ${target.uidValidity} ${formatSequenceSet(sourceUids)} ${formatSequenceSet(targetUids)}]`;
  if (!move) {
    session.complete(command, 'OK', `${copyUid} ${command.name} completed.`);
    return;
  }
  session.untagged(`OK ${copyUid} Moved.`);
  for (const uid of sourceUids) {
    const message = messages.find((m) => m.message.uid === uid)!.message;
    selection.muted(() => selection.folder.setFlags(uid, [...message.flags, '\\Deleted']));
  }
  expunge(session, sourceUids);
  session.complete(command, 'OK', `${command.name} completed.`);
}

export const messageCommands: Record<string, CommandSpec> = {
  CLOSE: {
    states: SELECTED,
    run(session, command) {
      const selection = selectionOf(session);
      if (!selection.readOnly) selection.muted(() => selection.folder.expunge());
      session.deselect();
      session.tagged(command.tag, 'OK', 'CLOSE completed.');
    },
  },
  UNSELECT: {
    states: SELECTED,
    run(session, command) {
      session.deselect();
      session.tagged(command.tag, 'OK', 'UNSELECT completed.');
    },
  },
  EXPUNGE: {
    states: SELECTED,
    run(session, command) {
      requireWritable(selectionOf(session));
      expunge(session);
      session.complete(command, 'OK', 'EXPUNGE completed.');
    },
  },
  'UID EXPUNGE': {
    states: SELECTED,
    run(session, command) {
      requireWritable(selectionOf(session));
      expunge(
        session,
        resolveSet(session, command).map((m) => m.message.uid),
      );
      session.complete(command, 'OK', 'UID EXPUNGE completed.');
    },
  },
  FETCH: { states: SELECTED, run: fetch, holdsExpunges: true },
  'UID FETCH': { states: SELECTED, run: fetch },
  STORE: { states: SELECTED, run: store, holdsExpunges: true },
  'UID STORE': { states: SELECTED, run: store },
  SEARCH: { states: SELECTED, run: search, holdsExpunges: true },
  'UID SEARCH': { states: SELECTED, run: search },
  COPY: { states: SELECTED, run: (session, command) => copyOrMove(session, command, false) },
  'UID COPY': { states: SELECTED, run: (session, command) => copyOrMove(session, command, false) },
  MOVE: { states: SELECTED, run: (session, command) => copyOrMove(session, command, true) },
  'UID MOVE': { states: SELECTED, run: (session, command) => copyOrMove(session, command, true) },
  IDLE: {
    states: ['authenticated', 'selected'],
    run: (session, command) => session.idle(command.tag),
  },
};
