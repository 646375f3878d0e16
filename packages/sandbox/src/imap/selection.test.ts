import { describe, expect, it } from 'vitest';
import { createMailStore } from '../mail-store.js';
import { Selection } from './selection.js';

function setup() {
  const folder = createMailStore().ensureMailbox('a@b.test').folder('Inbox')!;
  for (let i = 0; i < 5; i++) folder.append(Buffer.from(`Subject: ${i}\r\n\r\n`));
  let changes = 0;
  const selection = new Selection(folder, false, () => changes++);
  return { folder, selection, changes: () => changes };
}

describe('Selection', () => {
  it('resolves sequence and UID sets to present messages, * meaning the last', () => {
    const { folder, selection } = setup();
    expect(selection.resolve('2:3,5', false)?.map((m) => m.seq)).toEqual([2, 3, 5]);
    expect(selection.resolve('4:*', true)?.map((m) => m.message.uid)).toEqual([4, 5]);
    expect(selection.resolve('9', false)).toEqual([]);
    expect(selection.resolve('x', false)).toBeUndefined();
    folder.setFlags(2, ['\\Deleted']);
    folder.expunge();
    // Expunged elsewhere but not yet reported: the sequence numbers stay, the message is gone.
    expect(selection.resolve('1:3', false)?.map((m) => m.seq)).toEqual([1, 3]);
  });

  it('queues changes from elsewhere and reports them in the order the protocol allows', () => {
    const { folder, selection, changes } = setup();
    folder.setFlags(3, ['\\Flagged']);
    folder.setFlags(1, ['\\Deleted']);
    folder.expunge();
    folder.append(Buffer.from('Subject: new\r\n\r\n'));
    expect(changes()).toBe(4);
    expect(selection.drain(false)).toEqual(['* 6 EXISTS', '* 3 FETCH (UID 3 FLAGS (\\Flagged))']);
    expect(selection.drain(true)).toEqual(['* 1 EXPUNGE']);
    expect(selection.view).toEqual([2, 3, 4, 5, 6]);
    expect(selection.drain(true)).toEqual([]);
  });

  it('ignores its own flag and expunge events while muted, and stops listening when disposed', () => {
    const { folder, selection, changes } = setup();
    selection.muted(() => {
      folder.setFlags(1, ['\\Deleted']);
      folder.expunge();
    });
    expect(changes()).toBe(0);
    expect(selection.drain(true)).toEqual([]);
    selection.dispose();
    folder.append(Buffer.from('x'));
    expect(changes()).toBe(0);
    expect(folder.listenerCount('exists')).toBe(0);
  });
});
