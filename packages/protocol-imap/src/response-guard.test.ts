import { describe, expect, it } from 'vitest';
import { LISTING_ENTRY_BYTES, ResponseGuard, type ResponseLimits } from './response-guard.js';

const limits: ResponseLimits = { maxResponseBytes: 1000, preAuthBytes: 300, maxBodyLiteralBytes: 100_000 };

/** Feeds `text` in pieces of `size` bytes; returns the first crossed bound. */
function feed(guard: ResponseGuard, text: string | Buffer, size = Number.POSITIVE_INFINITY) {
  const data = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
  for (let pos = 0; pos < data.length; pos += Math.min(size, data.length)) {
    const exceeded = guard.accept(data.subarray(pos, pos + Math.min(size, data.length)));
    if (exceeded) return exceeded;
  }
  return undefined;
}

function loggedIn(): ResponseGuard {
  const guard = new ResponseGuard(limits);
  guard.authenticated();
  return guard;
}

describe('ResponseGuard before login', () => {
  it('lets a normal greeting and CAPABILITY through', () => {
    const guard = new ResponseGuard(limits);
    expect(feed(guard, '* OK ready\r\n* CAPABILITY IMAP4rev1 STARTTLS AUTH=XOAUTH2\r\nA1 OK done\r\n')).toBe(
      undefined,
    );
    expect(guard.midResponse).toBe(false);
  });

  it('counts the whole exchange, not one response', () => {
    const line = '* OK a line of about forty bytes......\r\n';
    expect(feed(new ResponseGuard(limits), line.repeat(7))).toBeUndefined();
    expect(feed(new ResponseGuard(limits), line.repeat(8))).toMatchObject({ bound: 'pre-auth', limit: 300 });
  });

  it('refuses an announced literal over the budget at its announcement, whatever the chunking', () => {
    for (const size of [1, 7, 4096]) {
      const exceeded = feed(new ResponseGuard(limits), '* CAPABILITY {999999999}\r\nxxxx', size);
      expect(exceeded).toMatchObject({ bound: 'pre-auth', announced: 999_999_999 });
      expect(exceeded?.received).toBeLessThanOrEqual(26);
    }
  });
});

describe('ResponseGuard after login', () => {
  it('bounds one line, counted across chunks', () => {
    const endless = `* LIST () "/" "${'a'.repeat(2000)}`;
    for (const size of [1, 100, 5000]) {
      expect(feed(loggedIn(), endless, size)).toMatchObject({ bound: 'response', limit: 1000 });
    }
  });

  it('counts the lines and literals of one response together, and starts again at the next', () => {
    const response = `* 1 FETCH (ENVELOPE ("x" {400}\r\n${'e'.repeat(400)} NIL))\r\n`;
    const guard = loggedIn();
    expect(feed(guard, response.repeat(5))).toBeUndefined();
    const envelope = `* 2 FETCH (ENVELOPE ({400}\r\n${'e'.repeat(400)} {400}\r\n${'e'.repeat(400)} {400}\r\n`;
    expect(feed(guard, envelope)).toMatchObject({
      bound: 'response',
      announced: 400,
    });
  });

  it('lets a message body literal of a FETCH pass at any size up to the body bound', () => {
    const body = 'b'.repeat(50_000);
    for (const section of ['BODY[]', 'BODY[1.2]<0>', 'BINARY[1] ~', 'RFC822', 'RFC822.TEXT']) {
      const guard = loggedIn();
      const literal = section.endsWith('~') ? `${section}{50000}` : `${section} {50000}`;
      expect(feed(guard, `* 3 FETCH (UID 9 ${literal}\r\n${body})\r\nA5 OK done\r\n`, 1024)).toBeUndefined();
      expect(guard.midResponse).toBe(false);
    }
    expect(feed(loggedIn(), '* 3 FETCH (BODY[] {100001}\r\n')).toMatchObject({
      bound: 'body',
      limit: 100_000,
    });
  });

  it('does not exempt a literal that is no body section, nor one outside FETCH', () => {
    expect(feed(loggedIn(), '* 3 FETCH (ENVELOPE ({5000}\r\n')).toMatchObject({ bound: 'response' });
    expect(feed(loggedIn(), '* LIST () "/" BODY[] {5000}\r\n')).toMatchObject({ bound: 'response' });
  });

  it('bounds the listing of one command as a whole, and resets it at the tagged answer', () => {
    const entry = '* LIST (\\HasNoChildren) "/" "folder"\r\n';
    // Each folder counts its bytes plus what ImapFlow holds parsed.
    expect(entry.length + LISTING_ENTRY_BYTES).toBeLessThan(1000);
    expect(feed(loggedIn(), entry.repeat(2))).toMatchObject({ bound: 'response', limit: 1000 });
    const guard = loggedIn();
    for (let i = 0; i < 10; i += 1) expect(feed(guard, `${entry}A${i} OK LIST done\r\n`)).toBeUndefined();
    // Untagged answers that are not collected (EXISTS during IDLE) do not add up.
    expect(feed(loggedIn(), '* 5 EXISTS\r\n'.repeat(500))).toBeUndefined();
  });

  it('treats a zero-padded announcement longer than it keeps as a size no one can receive', () => {
    const endless = `* 1 FETCH (BODY[] {${'0'.repeat(400)}5}\r\n`;
    expect(feed(loggedIn(), endless)).toMatchObject({ announced: Number.POSITIVE_INFINITY });
    const padded = `* 1 FETCH (BODY[] {${'0'.repeat(100)}5}\r\nhello)\r\n`;
    expect(feed(loggedIn(), padded, 3)).toBeUndefined();
  });

  it('knows when a response is cut off: mid-line, mid-literal, between literal and line end', () => {
    const cases = ['* LIST () "/" "IN', '* 1 FETCH (BODY[] {10}\r\nabc', '* 1 FETCH (BODY[] {3}\r\nabc'];
    for (const partial of cases) {
      const guard = loggedIn();
      feed(guard, partial);
      expect(guard.midResponse).toBe(true);
      feed(guard, partial.includes('{10}') ? '1234567)\r\n' : partial.includes('{3}') ? ')\r\n' : 'BOX"\r\n');
      expect(guard.midResponse).toBe(false);
    }
  });
});
