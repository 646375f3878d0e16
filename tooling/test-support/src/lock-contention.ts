// Cross-process lock tests for cache backends: contender processes take one key's lock in turn and
// journal each critical section; the journal then shows whether two of them were ever inside together.
import { appendFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CacheLock } from '@kalisto/core';
import { runNodeScript } from './node-script.js';

/** What a contender needs of a cache backend. */
export interface LockingCache {
  acquireLock(key: string, ttlMs: number): Promise<CacheLock | undefined>;
}

/** One contender's task: take `key`'s lock `rounds` times, journaling to `journal`. */
export interface LockContention {
  key: string;
  journal: string;
  rounds: number;
}

/** What a journal shows: critical sections completed, sections that overlapped, distinct processes. */
export interface LockJournalSummary {
  sections: number;
  overlaps: number;
  pids: number;
}

/** Reads a contender's `<key> <journal> <rounds>` arguments (those after the backend's own). */
export function parseLockContention(args: readonly string[]): LockContention {
  const [key = '', journal = '', rounds = ''] = args;
  if (key === '' || journal === '' || !/^\d+$/.test(rounds)) {
    throw new Error(`A lock contender needs <key> <journal> <rounds> (got ${JSON.stringify(args)})`);
  }
  return { key, journal, rounds: Number(rounds) };
}

/**
 * The contender's loop (runs inside the child process): takes the lock `rounds` times, writing
 * `enter PID` and `exit PID` around a short critical section; retries a held lock after 1-5 ms and
 * gives up after `deadlineMs`.
 */
export async function contendForLock(
  cache: LockingCache,
  { key, journal, rounds }: LockContention,
  deadlineMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  let done = 0;
  while (done < rounds) {
    if (Date.now() > deadline) throw new Error(`contender ${process.pid} gave up after ${done} rounds`);
    const lock = await cache.acquireLock(key, 10_000);
    if (lock === undefined) {
      await sleep(1 + Math.random() * 4);
      continue;
    }
    appendFileSync(journal, `enter ${process.pid}\n`);
    await sleep(2);
    appendFileSync(journal, `exit ${process.pid}\n`);
    await lock.release();
    done++;
  }
}

/** Options of {@link runLockContenders}. */
export interface LockContendersOptions extends LockContention {
  /** The contender script (absolute path; `.ts` from source or a bundle), see `startNodeScript`. */
  script: string;
  /** The backend's own arguments, in front of `<key> <journal> <rounds>` (e.g. a Redis URL, a cache file). */
  target: readonly string[];
  /** How many processes contend at once. */
  contenders: number;
}

/** Runs `contenders` contender processes at once to their end, then summarises their journal. */
export async function runLockContenders(options: LockContendersOptions): Promise<LockJournalSummary> {
  const args = [...options.target, options.key, options.journal, String(options.rounds)];
  await Promise.all(Array.from({ length: options.contenders }, () => runNodeScript(options.script, args)));
  return checkLockJournal(options.journal);
}

/** Reads a journal of `enter PID` / `exit PID` lines: a section that opens inside another is an overlap. */
export async function checkLockJournal(path: string): Promise<LockJournalSummary> {
  const lines = (await readFile(path, 'utf8')).split('\n').filter((line) => line !== '');
  let inside: string | undefined;
  let overlaps = 0;
  let sections = 0;
  const pids = new Set<string>();
  for (const line of lines) {
    const [event, pid = ''] = line.split(' ');
    if (event === 'enter') {
      if (inside !== undefined) overlaps++;
      inside = pid;
      pids.add(pid);
    } else {
      if (inside !== pid) overlaps++;
      inside = undefined;
      sections++;
    }
  }
  return { sections, overlaps, pids: pids.size };
}
