/**
 * watch() through delta queries on the sandbox: every new message handed over exactly once, across
 * failed rounds, changes to delivered messages and an expired delta state; stop() and the signal end it.
 */
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  GraphMailbox,
  GraphWatchErrorInfo,
  GraphWatchMessage,
  GraphWatchPosition,
} from '../src/index.js';
import { eventually, type GraphTestBed, rawMessage, startGraphBed } from './helpers.js';

let bed: GraphTestBed;
let imap: ImapFlow;
beforeAll(async () => {
  bed = await startGraphBed();
  imap = await bed.imap();
});
afterAll(async () => {
  await bed?.stop();
});

const FAST = { pollIntervalMs: 20, backoff: { initialMs: 1, maxMs: 20 } } as const;

async function openMailbox(overrides: Record<string, string> = {}): Promise<GraphMailbox> {
  return bed.session(overrides).store('graph');
}

describe('mailbox.watch()', () => {
  it("delivers each new message once, with its source; the folder's earlier messages are the baseline", async () => {
    await imap.mailboxCreate('Watched');
    await imap.append('Watched', rawMessage(bed.user, bed.user, 'watch before'));
    const mailbox = await openMailbox();
    const delivered: GraphWatchMessage[] = [];
    const positions: GraphWatchPosition[] = [];
    const watcher = mailbox.watch('Watched', (message) => void delivered.push(message), {
      ...FAST,
      onCheckpoint: (position) => void positions.push(position),
    });
    await eventually(() => watcher.position()?.deltaLink !== undefined);

    const raws = [1, 2, 3].map((i) => rawMessage(bed.user, bed.user, `watch new ${i}`));
    for (const raw of raws) await imap.append('Watched', raw);
    await eventually(() => delivered.length >= 3);
    // A change to a delivered message (read, flagged) comes back in the delta; it is not new.
    await mailbox.markRead(delivered[0]?.id ?? '');
    await mailbox.flag(delivered[1]?.id ?? '');
    await imap.append('Watched', rawMessage(bed.user, bed.user, 'watch new 4'));
    await eventually(() => delivered.length >= 4);
    const rounds = positions.filter((p) => p.handled.length === 0).length;
    await eventually(() => positions.filter((p) => p.handled.length === 0).length >= rounds + 2);
    await watcher.stop();

    // Once each (appended within one second, the three first may come in any order).
    expect(delivered.map((m) => m.subject).sort()).toEqual([
      'watch new 1',
      'watch new 2',
      'watch new 3',
      'watch new 4',
    ]);
    expect(delivered[3]?.subject).toBe('watch new 4');
    for (const [i, raw] of raws.entries()) {
      expect(delivered.find((m) => m.subject === `watch new ${i + 1}`)?.source?.equals(raw)).toBe(true);
    }
    await expect(watcher.done).resolves.toBeUndefined();
  });

  it('a round that fails half-way is repeated: what was handled is not handed over again', async () => {
    await imap.mailboxCreate('Flaky');
    // No retries inside the client: each throttled request fails the round, the watcher backs off.
    const mailbox = await openMailbox({ 'mail.graph.maxRetries': '0' });
    const delivered: string[] = [];
    const errors: GraphWatchErrorInfo[] = [];
    const watcher = mailbox.watch(
      'Flaky',
      (message) => {
        delivered.push(message.subject ?? '');
        // After the first message, the next requests of this round fail (503).
        if (delivered.length === 1)
          bed.sandbox.hooks.graph.throttle(bed.user, { times: 2, status: 503, retryAfterSeconds: 0 });
      },
      { ...FAST, onError: (_error, info) => void errors.push(info) },
    );
    await eventually(() => watcher.position()?.deltaLink !== undefined);
    for (const i of [1, 2, 3, 4]) await imap.append('Flaky', rawMessage(bed.user, bed.user, `flaky ${i}`));
    await eventually(() => delivered.length >= 4);
    await eventually(() => errors.length >= 2 && watcher.position()?.handled.length === 0);
    await watcher.stop();

    expect(delivered.sort()).toEqual(['flaky 1', 'flaky 2', 'flaky 3', 'flaky 4']);
    expect(errors.every((info) => !info.fatal)).toBe(true);
  });

  it("start: 'all' delivers the folder; a saved position resumes without delivering the handled ones again", async () => {
    await imap.mailboxCreate('Resume');
    for (const i of [1, 2]) await imap.append('Resume', rawMessage(bed.user, bed.user, `resume ${i}`));
    const mailbox = await openMailbox();
    const first: string[] = [];
    const one = mailbox.watch('Resume', (m) => void first.push(m.subject ?? ''), {
      ...FAST,
      start: 'all',
      source: false,
    });
    await eventually(() => first.length >= 2 && one.position()?.handled.length === 0);
    await one.stop();
    const saved = one.position() as GraphWatchPosition;

    await imap.append('Resume', rawMessage(bed.user, bed.user, 'resume 3'));
    const second: string[] = [];
    const two = mailbox.watch('Resume', (m) => void second.push(m.subject ?? ''), { ...FAST, start: saved });
    await eventually(() => second.length >= 1);
    await eventually(() => two.position()?.deltaLink !== saved.deltaLink);
    await two.stop();
    expect(first.sort()).toEqual(['resume 1', 'resume 2']);
    expect(second).toEqual(['resume 3']);
  });

  it('a handler that throws ends the watcher: done rejects with its error, reported fatal', async () => {
    const mailbox = await openMailbox();
    await imap.mailboxCreate('Throws');
    const fatal: boolean[] = [];
    const watcher = mailbox.watch(
      'Throws',
      () => {
        throw new Error('handler broke');
      },
      { ...FAST, onError: (_error, info) => void fatal.push(info.fatal) },
    );
    await eventually(() => watcher.position()?.deltaLink !== undefined);
    await imap.append('Throws', rawMessage(bed.user, bed.user, 'throws'));
    await expect(watcher.done).rejects.toThrow('handler broke');
    expect(fatal).toEqual([true]);
  });

  it('the signal stops it, and a missing folder is permanent', async () => {
    const mailbox = await openMailbox();
    const controller = new AbortController();
    const watcher = mailbox.watch('inbox', () => {}, { ...FAST, signal: controller.signal });
    await eventually(() => watcher.position()?.deltaLink !== undefined);
    controller.abort();
    await expect(watcher.done).resolves.toBeUndefined();

    const missing = mailbox.watch('No Such Folder', () => {}, { ...FAST, onError: () => {} });
    await expect(missing.done).rejects.toMatchObject({ code: 'GRAPH_NOT_FOUND' });
  });
});
