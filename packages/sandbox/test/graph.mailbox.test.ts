/**
 * Reading and changing a mailbox through the sandbox's Graph, checked from the IMAP side of the
 * same store: folders and paging, message lists, `$value` byte for byte, PATCH/move/DELETE seen
 * over IMAP, and delta rounds that notice SMTP deliveries, IMAP APPENDs, flag changes and removals.
 */
import { createTransport } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../src/index.js';
import {
  appGraphToken,
  GraphClient,
  type GraphReply,
  imapFlags,
  imapSearch,
  imapSession,
  mimeMessage,
} from './graph.helpers.js';

describe('Graph mailbox reads and changes on the shared mail store', () => {
  let sandbox: Sandbox;
  let graph: GraphClient;
  let token: string;
  let megan: string;

  beforeAll(async () => {
    sandbox = await startSandbox();
    graph = new GraphClient(sandbox);
    token = await appGraphToken(sandbox);
    megan = sandbox.fixtures.users.megan.upn;
  });
  afterAll(async () => {
    graph?.close();
    await sandbox?.stop();
  });

  const get = (path: string, headers: Record<string, string> = {}) =>
    graph.call('GET', path, { token, headers });
  const send = (method: string, path: string, body?: unknown) =>
    graph.call(method, path, { token, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

  /** Follows @odata.nextLink to the end; returns every page. */
  async function allPages(first: string): Promise<GraphReply[]> {
    const pages = [await get(first)];
    for (let next = pages[0]?.json['@odata.nextLink']; next; next = pages.at(-1)?.json['@odata.nextLink']) {
      pages.push(await get(next));
    }
    return pages;
  }

  it('lists the top-level folders page by page, resolves well-known names and child folders', async () => {
    sandbox.store.mailbox(megan)?.createFolder('Inbox/Projects');
    const pages = await allPages(`/users/${megan}/mailFolders?$top=2`);
    expect(pages.map((p) => p.json.value.length)).toEqual([2, 2, 1]);
    const names = pages.flatMap((p) => p.json.value.map((f: { displayName: string }) => f.displayName));
    expect(names).toEqual(['Inbox', 'Drafts', 'Sent Items', 'Deleted Items', 'Junk Email']);

    const inbox = await get(`/users/${megan}/mailFolders/inbox`);
    expect(inbox.json).toMatchObject({ displayName: 'Inbox', childFolderCount: 1 });
    const byId = await get(`/users/${megan}/mailFolders/${encodeURIComponent(inbox.json.id)}`);
    expect(byId.json.id).toBe(inbox.json.id);
    const children = await get(`/users/${megan}/mailFolders/inbox/childFolders`);
    expect(children.json.value).toEqual([
      expect.objectContaining({ displayName: 'Projects', parentFolderId: inbox.json.id }),
    ]);
    const root = await get(`/users/${megan}/mailFolders/msgfolderroot`);
    expect(root.json.id).toBe(inbox.json.parentFolderId);
    const archive = await get(`/users/${megan}/mailFolders/archive`);
    expect([archive.status, archive.json.error.code]).toEqual([404, 'ErrorFolderNotFound']);
  });

  it('lists a folder’s messages newest first, page by page, with $select and $orderby', async () => {
    const isaiah = sandbox.fixtures.users.isaiah.upn;
    sandbox.store.seed(isaiah, { count: 12, size: 600 });
    const pages = await allPages(
      `/users/${isaiah}/mailFolders/inbox/messages?$top=5&$select=subject,receivedDateTime`,
    );
    expect(pages.map((p) => p.json.value.length)).toEqual([5, 5, 2]);
    const values = pages.flatMap((p) => p.json.value);
    expect(new Set(values.map((m: { id: string }) => m.id)).size).toBe(12);
    expect(Object.keys(values[0]).sort()).toEqual(['@odata.etag', 'id', 'receivedDateTime', 'subject']);
    const times = values.map((m: { receivedDateTime: string }) => Date.parse(m.receivedDateTime));
    expect(times).toEqual([...times].sort((a, b) => b - a));

    const oldest = await get(
      `/users/${isaiah}/mailFolders/inbox/messages?$top=1&$orderby=receivedDateTime asc&$select=id`,
    );
    expect(oldest.json.value[0].id).toBe(values.at(-1).id);
    const unread = await get(
      `/users/${isaiah}/mailFolders/inbox/messages?$filter=isRead eq false&$count=true&$select=isRead`,
    );
    expect(unread.json['@odata.count']).toBe(4);
    const bad = await get(`/users/${isaiah}/mailFolders/inbox/messages?$select=subjekt`);
    expect([bad.status, bad.json.error]).toEqual([
      400,
      expect.objectContaining({
        code: 'RequestBroker--ParseUri',
        message: "Could not find a property named 'subjekt' on type 'microsoft.graph.message'.",
      }),
    ]);
  });

  it('serves an IMAP-appended message as $value byte for byte', async () => {
    const raw = mimeMessage({ from: 'someone@fabrikam.example', to: megan, subject: 'appended-over-imap' });
    const imap = await imapSession(sandbox, megan);
    try {
      await imap.append('INBOX', raw, ['\\Seen']);
    } finally {
      await imap.logout();
    }
    const list = await get(`/users/${megan}/mailFolders/inbox/messages?$top=1&$select=subject,isRead`);
    expect(list.json.value[0]).toMatchObject({ subject: 'appended-over-imap', isRead: true });
    const mime = await get(`/users/${megan}/messages/${encodeURIComponent(list.json.value[0].id)}/$value`);
    expect(mime.status).toBe(200);
    expect(mime.body.equals(raw)).toBe(true);
  });

  it('makes PATCH, move and DELETE visible over IMAP (\\Seen, \\Flagged, folders)', async () => {
    const inbox = sandbox.store.mailbox(megan)?.folder('Inbox');
    inbox?.append(mimeMessage({ from: 'a@fabrikam.example', to: megan, subject: 'to-be-changed' }));
    const uid = (inbox?.uidNext ?? 0) - 1;
    const list = await get(`/users/${megan}/mailFolders/inbox/messages?$top=1&$select=subject`);
    const id = encodeURIComponent(list.json.value[0].id);

    const patched = await send('PATCH', `/users/${megan}/messages/${id}`, {
      isRead: true,
      flag: { flagStatus: 'flagged' },
    });
    expect(patched.json).toMatchObject({ isRead: true, flag: { flagStatus: 'flagged' } });
    const imap = await imapSession(sandbox, megan);
    try {
      expect(await imapFlags(imap, 'INBOX', uid)).toEqual(['\\Flagged', '\\Seen']);

      const refused = await send('PATCH', `/users/${megan}/messages/${id}`, { subject: 'new' });
      expect([refused.status, refused.json.error.code]).toEqual([
        400,
        'ErrorInvalidPropertyUpdateSentMessage',
      ]);

      const moved = await send('POST', `/users/${megan}/messages/${id}/move`, { destinationId: 'junkemail' });
      expect(moved.status).toBe(201);
      const junk = await get(`/users/${megan}/mailFolders/junkemail`);
      expect(moved.json).toMatchObject({
        subject: 'to-be-changed',
        parentFolderId: junk.json.id,
        isRead: true,
      });
      expect(moved.json.id).not.toBe(list.json.value[0].id);
      expect((await get(`/users/${megan}/messages/${id}`)).status).toBe(404);
      expect(await imapSearch(imap, 'Junk Email', 'to-be-changed')).toHaveLength(1);
      expect(await imapSearch(imap, 'INBOX', 'to-be-changed')).toEqual([]);

      const movedId = encodeURIComponent(moved.json.id);
      expect((await send('DELETE', `/users/${megan}/messages/${movedId}`)).status).toBe(204);
      expect(await imapSearch(imap, 'Deleted Items', 'to-be-changed')).toHaveLength(1);
      const inDeleted = await get(`/users/${megan}/mailFolders/deleteditems/messages?$top=1&$select=id`);
      expect(
        (await send('DELETE', `/users/${megan}/messages/${encodeURIComponent(inDeleted.json.value[0].id)}`))
          .status,
      ).toBe(204);
      expect(sandbox.store.mailbox(megan)?.folder('Deleted Items')?.messages).toHaveLength(0);
    } finally {
      await imap.logout();
    }
  });

  it('delta: pages, then only what changed — SMTP deliveries, IMAP APPENDs, flag changes, removals', async () => {
    const alex = sandbox.fixtures.users.alex.upn;
    const inbox = sandbox.store.mailbox(alex)?.folder('Inbox');
    for (const subject of ['d1', 'd2', 'd3']) inbox?.append(mimeMessage({ from: megan, to: alex, subject }));
    const prefer = { prefer: 'odata.maxpagesize=2' };
    const first = await get(`/users/${alex}/mailFolders/inbox/messages/delta?$select=subject,isRead`, prefer);
    expect(first.json.value.map((m: { subject: string }) => m.subject)).toEqual(['d3', 'd2']);
    expect(first.json['@odata.nextLink']).toMatch(/messages\/microsoft\.graph\.delta\(\)\?\$skiptoken=/);
    const second = await get(first.json['@odata.nextLink'], prefer);
    expect(second.json.value.map((m: { subject: string }) => m.subject)).toEqual(['d1']);
    const deltaLink: string = second.json['@odata.deltaLink'];
    expect(deltaLink).toMatch(/\$deltatoken=/);
    const ids = new Map<string, string>(
      [...first.json.value, ...second.json.value].map((m: { subject: string; id: string }) => [
        m.subject,
        m.id,
      ]),
    );

    const smtpToken = (await sandbox.hooks.mintToken({ roles: ['SMTP.SendAsApp'] })).token;
    const transport = createTransport({
      host: sandbox.endpoints.smtps.host,
      port: sandbox.endpoints.smtps.port,
      secure: true,
      tls: { ca: sandbox.ca },
      auth: { type: 'OAuth2', user: megan, accessToken: smtpToken },
    });
    await transport.sendMail({ from: megan, to: alex, subject: 'via-smtp', text: 'hi' });
    transport.close();
    const imap = await imapSession(sandbox, alex);
    try {
      await imap.append('INBOX', mimeMessage({ from: megan, to: alex, subject: 'via-append' }));
      const [d1] = await imapSearch(imap, 'INBOX', 'd1');
      const [d2] = await imapSearch(imap, 'INBOX', 'd2');
      const lock = await imap.getMailboxLock('INBOX');
      await imap.messageFlagsAdd(String(d1), ['\\Seen'], { uid: true });
      await imap.messageMove(String(d2), 'Junk Email', { uid: true });
      lock.release();
    } finally {
      await imap.logout();
    }

    const changes = await allPages(deltaLink);
    expect(changes.map((p) => p.json.value.length)).toEqual([4]); // no Prefer: the default page of 10
    const value: { id: string; subject?: string; isRead?: boolean; '@removed'?: unknown }[] =
      changes[0]?.json.value;
    expect(value.filter((m) => m['@removed']).map((m) => m.id)).toEqual([ids.get('d2')]);
    expect(value.filter((m) => !m['@removed']).map((m) => [m.subject, m.isRead])).toEqual([
      ['via-append', false],
      ['via-smtp', false],
      ['d1', true],
    ]);
    const quiet = await get(changes[0]?.json['@odata.deltaLink']);
    expect(quiet.json.value).toEqual([]);
    // A delta link stays usable: following the older one again reports the same changes.
    expect((await get(deltaLink)).json.value).toHaveLength(4);
    const unknown = await get(deltaLink.replace(/\$deltatoken=[^&]+/, '$deltatoken=AAAAAAAAAAAAAAAAAAAAAA'));
    expect([unknown.status, unknown.json.error.code]).toEqual([410, 'SyncStateNotFound']);
  });
});
