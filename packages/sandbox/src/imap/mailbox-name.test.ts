import { describe, expect, it } from 'vitest';
import { decodeMailboxName, encodeMailboxName } from './mailbox-name.js';

describe('modified UTF-7 folder names', () => {
  it.each([
    ['Sent Items', 'Sent Items'],
    ['R&D', 'R&-D'],
    ['Zażółć', 'Za&AXwA8wFCAQc-'],
    ['日本語', '&ZeVnLIqe-'],
    ['Inbox/Ünterordner', 'Inbox/&ANw-nterordner'],
    ['~peter/mail/台北/日本語', '~peter/mail/&U,BTFw-/&ZeVnLIqe-'],
  ])('%s ⇄ %s', (unicode, encoded) => {
    expect(encodeMailboxName(unicode)).toBe(encoded);
    expect(decodeMailboxName(encoded)).toBe(unicode);
  });
});
