/**
 * The response bounds leave message bodies alone: a 40 MB message — more than twice the default
 * mail.imaps.maxResponseBytes — comes back byte-exact through the provider from the sandbox, whole
 * (`fetchOne` with `source`, one literal) and streamed (`download`, ImapFlow's chunked partial fetches).
 */
import { createHash } from 'node:crypto';
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMAP_DEFAULTS } from '../src/index.js';
import { type ImapTestBed, message, startTestBed } from './helpers.js';

let bed: ImapTestBed;

beforeAll(async () => {
  bed = await startTestBed();
});
afterAll(async () => bed?.stop());

const SIZE = 40 * 1024 * 1024;

/** A message of about `SIZE` bytes: base64-like lines of 76 characters, CRLF ended. */
function largeMessage(): Buffer {
  const line = `${'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.repeat(2).slice(0, 76)}\r\n`;
  return Buffer.concat([
    message('forty megabytes', ''),
    Buffer.from(line.repeat(Math.ceil(SIZE / line.length))),
  ]);
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('a 40 MB message with the response bounds in place', () => {
  it('fetches whole and downloads as a stream, byte-exact', async () => {
    const raw = largeMessage();
    expect(raw.length).toBeGreaterThan(2 * IMAP_DEFAULTS.maxResponseBytes);
    bed.sandbox.store.deliver([bed.user], raw);
    const session = bed.kalisto.session(bed.sandbox.properties);
    const client = (await session.store('imaps')) as ImapFlow;
    try {
      const inbox = await client.mailboxOpen('INBOX');
      const whole = await client.fetchOne(String(inbox.exists), { source: true, uid: true });
      if (whole === false || !whole.source) throw new Error('the message did not come back');
      expect(whole.source.length).toBe(raw.length);
      expect(sha256(whole.source)).toBe(sha256(raw));

      const { content } = await client.download(String(whole.uid), undefined, { uid: true });
      if (!content) throw new Error('no download stream');
      const hash = createHash('sha256');
      let bytes = 0;
      for await (const chunk of content) {
        hash.update(chunk as Buffer);
        bytes += (chunk as Buffer).length;
      }
      expect(bytes).toBe(raw.length);
      expect(hash.digest('hex')).toBe(sha256(raw));
    } finally {
      await session.close();
    }
  }, 120_000);
});
