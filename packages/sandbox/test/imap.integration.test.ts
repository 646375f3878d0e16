import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { ALICE, BOB, type Harness, startHarness } from './imap-harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** imapflow returns `false` for "nothing there"; these tests expect a value. */
function must<T>(value: T | false): T {
  if (value === false) throw new Error('imapflow returned false');
  return value;
}

const MESSAGE = Buffer.from(
  'From: Bob <bob@contoso.com>\r\nTo: alice@contoso.com\r\nSubject: Appended\r\nMessage-ID: <a1@test>\r\n\r\nHello there\r\n',
);

describe('IMAP server with imapflow', () => {
  it('authenticates with XOAUTH2 over implicit TLS and lists Exchange folders with special-use flags', async () => {
    harness = await startHarness();
    const client = harness.client();
    await client.connect();
    expect(harness.auth.requests).toEqual([{ mechanism: 'XOAUTH2', user: ALICE }]);
    expect(client.capabilities.has('AUTH=OAUTHBEARER')).toBe(false);

    const folders = await client.list();
    expect(folders.map((f) => f.path).sort()).toEqual([
      'Deleted Items',
      'Drafts',
      'INBOX',
      'Junk Email',
      'Sent Items',
    ]);
    const specialUse = Object.fromEntries(folders.map((f) => [f.path, f.specialUse]));
    expect(specialUse).toMatchObject({
      INBOX: '\\Inbox',
      'Sent Items': '\\Sent',
      Drafts: '\\Drafts',
      'Deleted Items': '\\Trash',
      'Junk Email': '\\Junk',
    });

    const status = await client.status('INBOX', {
      messages: true,
      unseen: true,
      uidNext: true,
      uidValidity: true,
    });
    expect(status).toMatchObject({ messages: 10, unseen: 4, uidNext: 11 });
    await client.logout();
  });

  it('authenticates over STARTTLS on the plain port', async () => {
    harness = await startHarness();
    const client = harness.client({ port: harness.server.port, secure: false, doSTARTTLS: true });
    await client.connect();
    expect(client.secureConnection).toBe(true);
    const mailbox = await client.mailboxOpen('INBOX');
    expect(mailbox.exists).toBe(10);
    await client.logout();
  });

  it('fetches envelope, flags, body structure, source and partial source', async () => {
    harness = await startHarness();
    const client = harness.client();
    await client.connect();
    const mailbox = await client.mailboxOpen('INBOX');
    expect(mailbox).toMatchObject({ exists: 10, uidNext: 11, readOnly: false });
    const inbox = harness.store.mailbox(ALICE)!.folder('Inbox')!;

    const messages = [];
    for await (const message of client.fetch('1:*', {
      uid: true,
      envelope: true,
      flags: true,
      bodyStructure: true,
    })) {
      messages.push(message);
    }
    expect(messages).toHaveLength(10);
    const first = messages[0]!;
    expect(first.envelope?.subject).toBe('Quarterly report #1');
    expect(first.envelope?.from?.[0]).toEqual({
      name: 'Anna Kowalska',
      address: 'anna.kowalska@contoso.com',
    });
    expect(first.envelope?.to?.[0]?.address).toBe(ALICE);
    expect([...(first.flags ?? [])]).toEqual([]);
    expect(first.bodyStructure?.type).toBe('text/plain');
    // Seed message 8 (index 7) has a UTF-8 subject; 4 (index 3) is multipart/alternative; 5 is mixed.
    expect(messages[7]!.envelope?.subject).toBe('Zażółć gęślą jaźń — status #8');
    expect(messages[3]!.bodyStructure?.type).toBe('multipart/alternative');
    expect(messages[3]!.bodyStructure?.childNodes?.map((n) => n.type)).toEqual(['text/plain', 'text/html']);
    const mixed = messages[4]!.bodyStructure!;
    expect(mixed.type).toBe('multipart/mixed');
    expect(mixed.childNodes?.[1]).toMatchObject({ type: 'text/csv', disposition: 'attachment', part: '2' });

    const full = must(await client.fetchOne('5', { source: true, bodyParts: ['2'], headers: ['subject'] }));
    expect(full.source?.equals(inbox.messages[4]!.raw)).toBe(true);
    expect(full.bodyParts?.get('2')?.toString()).toBe(
      Buffer.from('id,amount\r\n4,148\r\n').toString('base64'),
    );
    expect(full.headers?.toString()).toBe('Subject: Fwd: Travel itinerary #5\r\n\r\n');

    const partial = must(await client.fetchOne('2', { source: { start: 10, maxLength: 20 } }, { uid: true }));
    expect(partial.source?.toString()).toBe(inbox.messages[1]!.raw.subarray(10, 30).toString());
    // PEEK never sets \Seen.
    expect(inbox.messages[0]!.flags.has('\\Seen')).toBe(false);
    await client.logout();
  });

  it('searches, sets and clears flags', async () => {
    harness = await startHarness();
    const client = harness.client();
    await client.connect();
    await client.mailboxOpen('INBOX');
    expect(await client.search({ seen: false })).toEqual([1, 4, 7, 10]);
    expect(await client.search({ seen: false }, { uid: true })).toEqual([1, 4, 7, 10]);
    expect(await client.search({ from: 'ben.okafor' })).toEqual([2, 10]);
    expect(await client.search({ subject: 'invoice' })).toEqual([2]);
    expect(await client.search({ or: [{ subject: 'invoice' }, { subject: 'checklist' }] })).toEqual([2, 9]);
    expect(await client.search({ uid: '2:3', seen: true })).toEqual([2, 3]);
    expect(await client.search({ larger: 100_000 })).toEqual([]);
    expect(await client.search({ since: new Date(Date.now() - 86_400_000 * 2) })).toHaveLength(10);
    expect(await client.search({ before: new Date('2000-01-01') })).toEqual([]);

    expect(await client.messageFlagsAdd('1:2', ['\\Flagged'])).toBe(true);
    expect(await client.search({ flagged: true })).toEqual([1, 2]);
    await client.messageFlagsRemove('1', ['\\Flagged'], { uid: true });
    expect(await client.search({ flagged: true })).toEqual([2]);
    await client.messageFlagsSet('3', ['\\Answered']);
    const inbox = harness.store.mailbox(ALICE)!.folder('Inbox')!;
    expect([...inbox.messages[2]!.flags]).toEqual(['\\Answered']);
    expect(await client.search({ not: { answered: true }, seen: true })).toEqual([2, 5, 6, 8, 9]);
    await client.logout();
  });

  it('appends (APPENDUID), copies (COPYUID), moves and deletes', async () => {
    harness = await startHarness();
    const client = harness.client();
    await client.connect();
    const appended = await client.append(
      'Drafts',
      MESSAGE,
      ['\\Seen', '\\Draft'],
      new Date('2026-01-02T03:04:05Z'),
    );
    const drafts = harness.store.mailbox(ALICE)!.folder('Drafts')!;
    expect(appended).toMatchObject({
      destination: 'Drafts',
      uid: 1,
      uidValidity: BigInt(drafts.uidValidity),
    });
    expect(drafts.messages[0]!.raw.equals(MESSAGE)).toBe(true);
    expect(drafts.messages[0]!.internalDate.toISOString()).toBe('2026-01-02T03:04:05.000Z');
    expect([...drafts.messages[0]!.flags].sort()).toEqual(['\\Draft', '\\Seen']);

    await client.mailboxOpen('INBOX');
    const copied = must(await client.messageCopy('1:2', 'Drafts'));
    expect([...(copied.uidMap ?? [])]).toEqual([
      [1, 2],
      [2, 3],
    ]);
    const moved = must(await client.messageMove('3', 'Junk Email'));
    expect([...(moved.uidMap ?? [])]).toEqual([[3, 1]]);
    expect(must(client.mailbox).exists).toBe(9);
    expect(await client.messageDelete('1:2')).toBe(true);
    const inbox = harness.store.mailbox(ALICE)!.folder('Inbox')!;
    expect(inbox.messages.map((m) => m.uid)).toEqual([4, 5, 6, 7, 8, 9, 10]);
    expect(await client.status('Junk Email', { messages: true })).toMatchObject({ messages: 1 });

    await expect(client.append('Nope', MESSAGE)).rejects.toMatchObject({ serverResponseCode: 'TRYCREATE' });
    await client.mailboxCreate('Projects/2026');
    await client.mailboxRename('Projects', 'Archive');
    expect((await client.list()).map((f) => f.path)).toContain('Archive/2026');
    await client.mailboxDelete('Archive');
    expect((await client.list()).map((f) => f.path)).not.toContain('Archive');
    await client.logout();
  });

  it('keeps Unicode folder names, spelled in modified UTF-7 on the wire', async () => {
    harness = await startHarness();
    const client = harness.client();
    await client.connect();
    await client.mailboxCreate('Zażółć/日本語');
    expect((await client.list()).map((f) => f.path)).toEqual(
      expect.arrayContaining(['Zażółć', 'Zażółć/日本語']),
    );
    await client.append('Zażółć/日本語', MESSAGE);
    expect(harness.store.mailbox(ALICE)!.folder('Zażółć/日本語')!.messages).toHaveLength(1);
    await client.logout();
  });

  it('serves a 10,000-message folder', async () => {
    harness = await startHarness();
    harness.store.seed(BOB, { count: 10_000, size: 600 });
    const client = harness.client({ auth: { user: BOB, accessToken: 'valid' } });
    await client.connect();
    expect(must(await client.mailboxOpen('INBOX')).exists).toBe(10_000);
    expect(await client.search({ seen: false }, { uid: true })).toHaveLength(3334);
    expect(await client.fetchAll('1:*', { uid: true, flags: true })).toHaveLength(10_000);
    const last = await client.fetchAll('9991:*', { envelope: true });
    expect(last.map((m) => m.envelope?.subject).at(-1)).toBe('Re: Re: Budget approval #10000');
    await client.logout();
  });

  it('pushes EXISTS, flag changes and EXPUNGE from other sessions during IDLE', async () => {
    harness = await startHarness();
    const client = harness.client();
    await client.connect();
    await client.mailboxOpen('INBOX');
    const exists = once(client, 'exists');
    void client.idle();
    harness.store.deliver([ALICE], MESSAGE);
    const [event] = await exists;
    expect(event).toMatchObject({ path: 'INBOX', count: 11, prevCount: 10 });

    const other = harness.client();
    await other.connect();
    await other.mailboxOpen('INBOX');
    const flags = once(client, 'flags');
    await other.messageFlagsAdd('11', ['\\Flagged']);
    const [flagEvent] = await flags;
    expect(flagEvent).toMatchObject({ seq: 11, uid: 11 });
    expect([...flagEvent.flags]).toEqual(['\\Flagged']);

    const expunge = once(client, 'expunge');
    await other.messageDelete('1');
    const [expunged] = await expunge;
    expect(expunged).toMatchObject({ seq: 1 });
    await other.logout();
    await client.logout();
  });

  it('ends the session with the AccessTokenExpired BYE when the token expires', async () => {
    harness = await startHarness();
    const client = harness.client({ auth: { user: ALICE, accessToken: 'short:400' } });
    await client.connect();
    await client.mailboxOpen('INBOX');
    const closed = once(client, 'close');
    const idling = client.idle().catch((error: unknown) => error);
    await closed;
    await idling;
    expect((client as unknown as { byeReason?: string }).byeReason).toBe(
      'Session invalidated - AccessTokenExpired',
    );
  });

  it('ends the session with the same BYE at the next command once the token is revoked', async () => {
    harness = await startHarness();
    const client = harness.client({ auth: { user: ALICE, accessToken: 'revocable:t1' } });
    await client.connect();
    harness.auth.revoked.add('t1');
    await expect(client.mailboxOpen('INBOX')).rejects.toBeTruthy();
    expect((client as unknown as { byeReason?: string }).byeReason).toBe(
      'Session invalidated - AccessTokenExpired',
    );
  });

  it.each([
    ['token-expired'],
    ['token-revoked'],
    ['token-foreign-tenant'],
    ['token-graph'],
    ['token-no-permission'],
    ['not-a-token'],
  ])('refuses %s with NO AUTHENTICATE failed. and the OAuth error challenge', async (token) => {
    harness = await startHarness();
    const client = harness.client({ auth: { user: ALICE, accessToken: token } });
    await expect(client.connect()).rejects.toMatchObject({
      authenticationFailed: true,
      responseText: 'AUTHENTICATE failed.',
      oauthError: {
        status: '401',
        schemes: 'bearer',
        scope: 'https://outlook.office.com/IMAP.AccessAsUser.All',
      },
    });
  });

  it('answers "User is authenticated but not connected." when the identity may not open the mailbox', async () => {
    harness = await startHarness();
    const client = harness.client({ auth: { user: BOB, accessToken: 'token-no-mailbox-access' } });
    await expect(client.connect()).rejects.toMatchObject({
      authenticationFailed: true,
      response: 'User is authenticated but not connected.',
    });
  });

  it('uses OAUTHBEARER when the behaviour advertises it', async () => {
    harness = await startHarness({ oauthBearer: true });
    const client = harness.client();
    await client.connect();
    expect(harness.auth.requests).toEqual([{ mechanism: 'OAUTHBEARER', user: ALICE }]);
    await client.logout();
  });

  it('throttles every Nth command with Exchange’s backoff text, which imapflow recognises', async () => {
    // After AUTHENTICATE imapflow sends CAPABILITY and NAMESPACE: the 3rd command is our STATUS.
    harness = await startHarness({ throttle: { everyNthCommand: 3, backoffMs: 5 } });
    const warnings: { msg?: string; throttleDelay?: number }[] = [];
    const ignore = () => {};
    const logger = {
      debug: ignore,
      info: ignore,
      error: ignore,
      warn: (entry: object) => warnings.push(entry),
    };
    const client = harness.client({ logger });
    await client.connect();
    // status() reports a failed STATUS as false; imapflow logs the throttling it recognised.
    expect(await client.status('INBOX', { messages: true })).toBe(false);
    expect(warnings).toContainEqual(
      expect.objectContaining({ msg: 'Throttling detected', throttleDelay: 5 }),
    );
    expect(await client.status('INBOX', { messages: true })).toMatchObject({ messages: 10 });
    await client.logout();
  });

  it('serves 200 concurrent imapflow sessions', async () => {
    harness = await startHarness();
    const h = harness;
    const clients = Array.from({ length: 200 }, () => h.client());
    await Promise.all(clients.map((c) => c.connect()));
    expect(h.server.connections()).toBe(200);
    const counts = await Promise.all(clients.map(async (c) => (await c.mailboxOpen('INBOX')).exists));
    expect(new Set(counts)).toEqual(new Set([10]));
    await Promise.all(clients.map((c) => c.logout()));
  }, 60_000);
});
