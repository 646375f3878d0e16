import { describe, expect, it } from 'vitest';
import type { StoredMessage } from './contracts.js';
import { createMailStore, DEFAULT_FOLDERS } from './mail-store.js';

const raw = (subject: string) => Buffer.from(`Subject: ${subject}\r\nFrom: a@b.test\r\n\r\nbody\r\n`);

describe('createMailStore', () => {
  it('creates mailboxes by lower-case address with Exchange default folders', () => {
    const store = createMailStore({ mailboxes: ['Alice@Contoso.com'] });
    const mailbox = store.mailbox('ALICE@contoso.com');
    expect(mailbox?.address).toBe('alice@contoso.com');
    expect(mailbox?.folders().map((f) => f.name)).toEqual([...DEFAULT_FOLDERS]);
    expect(mailbox?.folder('INBOX')?.name).toBe('Inbox');
    expect(store.ensureMailbox('alice@CONTOSO.com')).toBe(mailbox);
    expect(store.mailbox('bob@contoso.com')).toBeUndefined();
  });

  it('delivers to known recipients only and emits exists', () => {
    const store = createMailStore({ mailboxes: ['alice@contoso.com', 'bob@contoso.com'] });
    const inbox = store.mailbox('alice@contoso.com')!.folder('Inbox')!;
    const seen: StoredMessage[] = [];
    inbox.on('exists', (m: StoredMessage) => seen.push(m));
    const result = store.deliver(['ALICE@contoso.com', 'bob@contoso.com', 'nobody@contoso.com'], raw('hi'));
    expect(result).toEqual({
      delivered: ['alice@contoso.com', 'bob@contoso.com'],
      unknown: ['nobody@contoso.com'],
    });
    expect(seen.map((m) => m.uid)).toEqual([1]);
    expect(inbox.uidNext).toBe(2);
    expect(store.mailbox('nobody@contoso.com')).toBeUndefined();
  });

  it('assigns ascending UIDs, sets flags and expunges only \\Deleted messages', () => {
    const folder = createMailStore().ensureMailbox('a@b.test').folder('Drafts')!;
    const [m1, m2, m3] = [
      folder.append(raw('1')),
      folder.append(raw('2'), { flags: ['\\Seen'] }),
      folder.append(raw('3')),
    ];
    expect([m1.uid, m2.uid, m3.uid]).toEqual([1, 2, 3]);
    expect([...m2.flags]).toEqual(['\\Seen']);

    const flagEvents: number[] = [];
    const expunged: number[] = [];
    folder.on('flags', (m: StoredMessage) => flagEvents.push(m.uid));
    folder.on('expunge', (uid: number) => expunged.push(uid));
    folder.setFlags(1, ['\\Deleted']);
    folder.setFlags(3, ['\\Deleted', '\\Seen']);
    expect(flagEvents).toEqual([1, 3]);

    expect(folder.expunge([3])).toEqual([3]);
    expect(folder.messages.map((m) => m.uid)).toEqual([1, 2]);
    expect(folder.expunge()).toEqual([1]);
    expect(expunged).toEqual([3, 1]);
    expect(folder.messages.map((m) => m.uid)).toEqual([2]);
    // UIDs are never reused.
    expect(folder.append(raw('4')).uid).toBe(4);
    expect(() => folder.setFlags(99, [])).toThrow(/No message with UID 99/);
  });

  it('creates, renames (with children) and deletes user folders, but protects default folders', () => {
    const mailbox = createMailStore().ensureMailbox('a@b.test');
    const projects = mailbox.createFolder('Projects');
    mailbox.createFolder('Projects/2026');
    projects.append(raw('kept'));
    expect(() => mailbox.createFolder('projects')).toThrow(/already exists/);
    expect(() => mailbox.createFolder('a//b')).toThrow(/not a valid folder name/);

    const validity = projects.uidValidity;
    mailbox.renameFolder('Projects', 'Archive');
    expect(mailbox.folder('Projects')).toBeUndefined();
    expect(mailbox.folder('Archive/2026')?.name).toBe('Archive/2026');
    expect(mailbox.folder('archive')?.messages).toHaveLength(1);
    expect(mailbox.folder('Archive')?.uidValidity).toBe(validity);

    mailbox.deleteFolder('Archive');
    expect(mailbox.folders().map((f) => f.name)).toEqual([...DEFAULT_FOLDERS]);
    expect(() => mailbox.deleteFolder('Inbox')).toThrow(/default folder/);
    expect(() => mailbox.renameFolder('Sent Items', 'Sent')).toThrow(/default folder/);
    expect(() => mailbox.deleteFolder('Nope')).toThrow(/No folder "Nope"/);
  });

  it('gives each folder its own UIDVALIDITY', () => {
    const mailbox = createMailStore().ensureMailbox('a@b.test');
    const validities = new Set(mailbox.folders().map((f) => f.uidValidity));
    expect(validities.size).toBe(DEFAULT_FOLDERS.length);
  });

  it('seeds realistic CRLF messages with dot lines, multiparts and approximate sizes', () => {
    const store = createMailStore({ now: () => Date.UTC(2026, 0, 15, 12) });
    store.seed('Carol@contoso.com', { count: 20, size: 4000 });
    const inbox = store.mailbox('carol@contoso.com')!.folder('Inbox')!;
    expect(inbox.messages).toHaveLength(20);
    const texts = inbox.messages.map((m) => m.raw.toString('utf8'));
    for (const text of texts) {
      expect(text).toMatch(/^Return-Path: <[^>]+>\r\n/);
      expect(text).toContain('\r\nTo: <carol@contoso.com>\r\n');
      expect(text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    }
    expect(new Set(texts.map((t) => /\r\nSubject: (.*)\r\n/.exec(t)?.[1])).size).toBe(20);
    expect(new Set(texts.map((t) => /\r\nFrom: (.*)\r\n/.exec(t)?.[1])).size).toBeGreaterThan(4);
    expect(texts.some((t) => t.includes('\r\n.\r\n'))).toBe(true);
    expect(texts.some((t) => t.includes('\r\n..two dots\r\n'))).toBe(true);
    expect(texts.some((t) => t.includes('multipart/alternative'))).toBe(true);
    expect(texts.some((t) => t.includes('multipart/mixed'))).toBe(true);
    for (const message of inbox.messages) {
      expect(message.raw.length).toBeGreaterThan(3000);
      expect(message.raw.length).toBeLessThan(5500);
    }
    // Dates run back from "now"; older messages are read, every third stays unread.
    expect(inbox.messages[19]!.internalDate.getTime()).toBeLessThan(Date.UTC(2026, 0, 15, 12));
    expect(inbox.messages.filter((m) => !m.flags.has('\\Seen')).length).toBe(7);
  });

  it('seeds into a named folder (created when missing) and appends after existing messages', () => {
    const store = createMailStore();
    store.seed('a@b.test', { count: 3, folder: 'Archive' });
    store.seed('a@b.test', { count: 2, folder: 'Archive' });
    const archive = store.mailbox('a@b.test')!.folder('Archive')!;
    expect(archive.messages.map((m) => m.uid)).toEqual([1, 2, 3, 4, 5]);
    expect(archive.messages[3]!.raw.toString()).toContain('#4');
  });

  it('seeds 10,000 messages in one go', () => {
    const store = createMailStore();
    store.seed('big@contoso.com', { count: 10_000, size: 1024 });
    const inbox = store.mailbox('big@contoso.com')!.folder('Inbox')!;
    expect(inbox.messages).toHaveLength(10_000);
    expect(inbox.uidNext).toBe(10_001);
  });
});
