/**
 * mail.store.protocol=graph on the sandbox: a message appended over IMAP reads back byte for byte
 * through $value; listing pages; move, delete, flag and read state show over IMAP.
 */
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphMailbox, GraphMessage } from '../src/index.js';
import { type GraphTestBed, rawMessage, rejectionOf, startGraphBed } from './helpers.js';

let bed: GraphTestBed;
let mailbox: GraphMailbox;
let imap: ImapFlow;
beforeAll(async () => {
  bed = await startGraphBed();
  mailbox = (await bed.session({ 'mail.store.protocol': 'graph' }).store()) as GraphMailbox;
  imap = await bed.imap();
});
afterAll(async () => {
  await bed?.stop();
});

/** Appends `raw` to `folder` over IMAP. */
async function append(folder: string, raw: Buffer): Promise<void> {
  await imap.append(folder, raw);
}

/** The Graph message of `folder` with this Message-ID, found by paging. */
async function find(folder: string, messageId: string): Promise<GraphMessage | undefined> {
  for await (const page of mailbox.messages(folder, { pageSize: 10 })) {
    const hit = page.find((m) => m.internetMessageId === messageId);
    if (hit) return hit;
  }
  return undefined;
}

/** The IMAP flags of the message with this Message-ID in `folder` (undefined when it is not there). */
async function imapFlags(folder: string, messageId: string): Promise<Set<string> | undefined> {
  const lock = await imap.getMailboxLock(folder);
  try {
    const uids = (await imap.search({ header: { 'message-id': messageId } }, { uid: true })) || [];
    if (uids.length === 0) return undefined;
    const message = await imap.fetchOne(String(uids[0]), { flags: true }, { uid: true });
    return message ? (message.flags ?? new Set()) : undefined;
  } finally {
    lock.release();
  }
}

describe('mail.store.protocol=graph', () => {
  it('a message appended over IMAP reads back byte for byte through source()', async () => {
    const raw = Buffer.concat([
      rawMessage(bed.user, bed.user, 'graph source', 'Body with bytes that are not UTF-8: '),
      Buffer.from([0xff, 0xfe, 0x80, 0x0d, 0x0a]),
    ]);
    await append('INBOX', raw);
    const message = await find('inbox', '<graph-source@kalisto.test>');
    expect(message?.subject).toBe('graph source');
    expect((await mailbox.source(message?.id ?? '')).equals(raw)).toBe(true);
  });

  it('lists a folder page by page, following nextLink, each message once', async () => {
    for (let i = 0; i < 5; i++) await append('Junk Email', rawMessage(bed.user, bed.user, `graph page ${i}`));
    bed.sandbox.hooks.graph.resetRequestCounts();
    const pages: GraphMessage[][] = [];
    for await (const page of mailbox.messages('junkemail', { pageSize: 2 })) pages.push(page);
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    const ids = pages.flat().map((m) => m.id);
    expect(new Set(ids).size).toBe(5);
    expect(bed.sandbox.hooks.graph.requestCounts().listMessages).toBe(3);
  });

  it('lists the folders with their paths, and finds one by display name', async () => {
    await imap.mailboxCreate('Inbox/Projects');
    const folders = await mailbox.folders();
    expect(folders.map((f) => f.path)).toEqual(
      expect.arrayContaining([
        'Inbox',
        'Inbox/Projects',
        'Sent Items',
        'Deleted Items',
        'Junk Email',
        'Drafts',
      ]),
    );
    const projects = folders.find((f) => f.path === 'Inbox/Projects');
    expect(await mailbox.folderId('inbox/projects')).toBe(projects?.id);
    expect(await mailbox.folderId('INBOX')).toBe('inbox');
  });

  it('flag and markRead show as \\Flagged and \\Seen over IMAP; move and delete take it out of the folder', async () => {
    await append('INBOX', rawMessage(bed.user, bed.user, 'graph changes'));
    const id = (await find('inbox', '<graph-changes@kalisto.test>'))?.id ?? '';
    await mailbox.flag(id);
    await mailbox.markRead(id);
    expect(await imapFlags('INBOX', '<graph-changes@kalisto.test>')).toEqual(
      new Set(['\\Flagged', '\\Seen']),
    );
    await mailbox.flag(id, false);
    await mailbox.markRead(id, false);
    expect(await imapFlags('INBOX', '<graph-changes@kalisto.test>')).toEqual(new Set());

    const moved = await mailbox.move(id, 'Inbox/Projects');
    expect(moved.id).not.toBe(id);
    expect(await imapFlags('INBOX', '<graph-changes@kalisto.test>')).toBeUndefined();
    expect(await imapFlags('Inbox/Projects', '<graph-changes@kalisto.test>')).toBeDefined();

    await mailbox.delete(moved.id);
    expect(await imapFlags('Inbox/Projects', '<graph-changes@kalisto.test>')).toBeUndefined();
    expect(await rejectionOf(mailbox.source(id))).toMatchObject({
      code: 'GRAPH_NOT_FOUND',
      transient: false,
    });
  });

  it('source() is bounded by mail.graph.maxMessageBytes', async () => {
    await append('INBOX', rawMessage(bed.user, bed.user, 'graph big source', 'x'.repeat(50_000)));
    const small = await bed.session({ 'mail.graph.maxMessageBytes': '10000' }).store('graph');
    const id = (await find('inbox', '<graph-big-source@kalisto.test>'))?.id ?? '';
    expect(await rejectionOf(small.source(id))).toMatchObject({ code: 'GRAPH_RESPONSE_TOO_LARGE' });
    expect((await mailbox.source(id)).length).toBeGreaterThan(50_000);
  });
});
