import { ConnectionError } from '@kalisto/core';
import { describe, expect, it } from 'vitest';
import type { GraphPage, GraphRequest } from './graph-client.js';
import type { GraphMailbox, GraphMessage } from './mailbox.js';
import { watchFolder } from './watch.js';

/** One delta round as the fake serves it: its items, or a failure. */
type Round = GraphMessage[] | Error;

/**
 * A mailbox whose delta rounds are scripted: the pure logic of the watcher (what is new, what was
 * delivered, what a reset means) without a server. Each round is one page ending in a delta link.
 */
function scriptedMailbox(rounds: Round[]): { mailbox: GraphMailbox; requests: string[] } {
  const requests: string[] = [];
  let served = 0;
  const client = {
    mailboxPath: (suffix: string) => `/users/u${suffix}`,
    page: async (request: GraphRequest): Promise<GraphPage<GraphMessage>> => {
      requests.push(request.url);
      const round = rounds[served++];
      if (round === undefined) {
        // No more rounds: wait, as a real request would, until the watcher stops and aborts it.
        return new Promise((_resolve, reject) =>
          request.signal?.addEventListener('abort', () => reject(request.signal?.reason), { once: true }),
        );
      }
      if (round instanceof Error) throw round;
      return { value: round, deltaLink: `delta-${served}` };
    },
  };
  const mailbox = {
    client,
    logger: { debug() {}, info() {}, warn() {}, error() {} },
    folderId: async (folder: string) => folder,
    source: async (id: string) => Buffer.from(id),
  } as unknown as GraphMailbox;
  return { mailbox, requests };
}

const message = (id: string, minute = 0): GraphMessage => ({
  id,
  receivedDateTime: `2026-01-01T00:${String(minute).padStart(2, '0')}:00Z`,
});
const removed = (id: string) => ({ id, '@removed': { reason: 'deleted' } }) as GraphMessage;
const reset = () =>
  new ConnectionError('delta state gone', { code: 'GRAPH_SYNC_RESET', transient: true, protocol: 'graph' });

async function delivered(
  rounds: Round[],
  expected: number,
  start?: 'all',
): Promise<{ ids: string[]; requests: string[] }> {
  const { mailbox, requests } = scriptedMailbox(rounds);
  const ids: string[] = [];
  const watcher = watchFolder(mailbox, 'inbox', (m) => void ids.push(m.id), {
    pollIntervalMs: 0,
    backoff: { initialMs: 0, maxMs: 0 },
    ...(start && { start }),
    onError: () => {},
  });
  while (ids.length < expected || requests.length < rounds.length + 1)
    await new Promise((r) => setTimeout(r, 1));
  await watcher.stop();
  return { ids, requests };
}

describe('the delta watcher', () => {
  it('takes the first round as the baseline, then delivers new ids once, oldest first; changes are not new', async () => {
    const { ids } = await delivered(
      [[message('a'), message('b')], [message('d', 2), message('c', 1), message('a')], [message('c', 1)]],
      2,
    );
    expect(ids).toEqual(['c', 'd']);
  });

  it('a failed round is repeated from the last delta link without delivering twice', async () => {
    const { ids, requests } = await delivered(
      [[], [message('x')], new Error('socket hang up'), [message('x'), message('y', 1)]],
      2,
    );
    expect(ids).toEqual(['x', 'y']);
    expect(requests[2]).toBe('delta-2');
    expect(requests[3]).toBe('delta-2');
  });

  it('an expired delta state starts a fresh round that delivers only the ids not seen', async () => {
    const { ids, requests } = await delivered(
      [[message('a')], [message('b', 1)], reset(), [message('a'), message('b', 1), message('c', 2)]],
      2,
    );
    expect(ids).toEqual(['b', 'c']);
    expect(requests[3]).toMatch(/^\/users\/u\/mailFolders\/inbox\/messages\/delta\?/);
  });

  it('a removed message is forgotten, so an id that comes back is new again', async () => {
    const { ids } = await delivered([[], [message('m')], [removed('m')], [message('m')]], 2);
    expect(ids).toEqual(['m', 'm']);
  });

  it("start 'all' delivers the first round too", async () => {
    const { ids } = await delivered([[message('b', 1), message('a')]], 2, 'all');
    expect(ids).toEqual(['a', 'b']);
  });
});
