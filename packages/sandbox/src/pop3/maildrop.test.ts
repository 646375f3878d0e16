import { describe, expect, it } from 'vitest';
import { createMailStore } from '../mail-store.js';
import { dotStuff, Maildrop, messageTop, multilineBody } from './maildrop.js';

const message = Buffer.from('Subject: t\r\nFrom: a@b.test\r\n\r\nline 1\r\n.hidden\r\nline 3\r\n');

function inboxWith(...raws: Buffer[]) {
  const inbox = createMailStore({ mailboxes: ['a@b.test'] })
    .mailbox('a@b.test')!
    .folder('Inbox')!;
  for (const raw of raws) inbox.append(raw);
  return inbox;
}

describe('byte-stuffing', () => {
  it('doubles a leading dot on every line, including the first', () => {
    expect(dotStuff(Buffer.from('.a\r\nb\r\n..c\r\n')).toString()).toBe('..a\r\nb\r\n...c\r\n');
  });

  it('ends the body with the . line, adding a CRLF only when the message lacks one', () => {
    expect(multilineBody(Buffer.from('x\r\n')).toString()).toBe('x\r\n.\r\n');
    expect(multilineBody(Buffer.from('x')).toString()).toBe('x\r\n.\r\n');
    expect(multilineBody(Buffer.alloc(0)).toString()).toBe('.\r\n');
  });
});

describe('messageTop', () => {
  it('returns the headers, the blank line and n body lines', () => {
    expect(messageTop(message, 0).toString()).toBe('Subject: t\r\nFrom: a@b.test\r\n\r\n');
    expect(messageTop(message, 2).toString()).toBe(
      'Subject: t\r\nFrom: a@b.test\r\n\r\nline 1\r\n.hidden\r\n',
    );
    expect(messageTop(message, 99)).toEqual(message);
  });

  it('returns a message without a body whole', () => {
    expect(messageTop(Buffer.from('Subject: x\r\n'), 3).toString()).toBe('Subject: x\r\n');
  });
});

describe('Maildrop', () => {
  it('numbers, sizes and marks messages and expunges the marked ones on commit', () => {
    const inbox = inboxWith(message, Buffer.from('B\r\n'), Buffer.from('CC\r\n'));
    const drop = new Maildrop(inbox);
    expect(drop.stat()).toEqual({ count: 3, size: message.length + 3 + 4 });
    drop.markDeleted(2);
    expect(drop.lookup(2)).toEqual({ ok: false, reason: 'deleted' });
    expect(drop.lookup(4)).toEqual({ ok: false, reason: 'no_such_message' });
    expect(drop.lookup(0)).toEqual({ ok: false, reason: 'no_such_message' });
    expect(drop.live().map((m) => m.number)).toEqual([1, 3]);
    drop.reset();
    expect(drop.stat().count).toBe(3);
    drop.markDeleted(1);
    drop.markDeleted(3);
    const [first, , third] = inbox.messages;
    expect(drop.commit()).toEqual([first!.uid, third!.uid]);
    expect(inbox.messages.map((m) => m.raw.toString())).toEqual(['B\r\n']);
  });

  it('keeps numbering fixed when mail arrives during the session and skips messages removed elsewhere', () => {
    const inbox = inboxWith(Buffer.from('A\r\n'), Buffer.from('B\r\n'));
    const drop = new Maildrop(inbox);
    inbox.append(Buffer.from('new\r\n'));
    expect(drop.stat().count).toBe(2);
    const second = inbox.messages[1]!;
    inbox.setFlags(second.uid, ['\\Deleted']);
    inbox.expunge();
    drop.markDeleted(2);
    expect(drop.commit()).toEqual([]);
    expect(inbox.messages.map((m) => m.raw.toString())).toEqual(['A\r\n', 'new\r\n']);
    expect(drop.uniqueId(inbox.messages[0]!)).toBe(`${inbox.uidValidity}.${inbox.messages[0]!.uid}`);
  });
});
