import { describe, expect, it } from 'vitest';
import { pairedRatio, verdictOf } from './harness.js';
import { messageFromContract } from './node-pop3-reader.js';
import { exactCount, sha256 } from './real-mailbox.js';

describe('verdictOf', () => {
  it('passes when every round is within the target, however wide the spread', () => {
    expect(verdictOf(0.8, [0.5, 1.02], 1.03)).toBe('pass');
  });

  it('fails when every round is beyond the target', () => {
    expect(verdictOf(1.6, [1.3, 2.4], 1.25)).toBe('FAIL');
  });

  it('reads inconclusive when the rounds straddle the target with a spread wider than its margin', () => {
    // The cache-redis row of one run: median 1.02, rounds 0.87–1.29, target ≤1.2 (margin 0.2, spread 0.21).
    expect(verdictOf(1.02, [0.87, 1.29], 1.2)).toBe('inconclusive');
    expect(verdictOf(1.4, [0.98, 1.5], 1.25)).toBe('inconclusive');
  });

  it('lets the median decide while the spread stays within the margin', () => {
    expect(verdictOf(1.09, [0.98, 1.3], 1.25)).toBe('pass');
    expect(verdictOf(1.2, [1.1, 1.3], 1.25)).toBe('pass');
    expect(verdictOf(1.27, [1.1, 1.3], 1.25)).toBe('FAIL');
  });

  it('takes the margin of a throughput target from its time ratio', () => {
    // ≥0.9× throughput is time ≤1.11×: margin 0.11.
    expect(verdictOf(1.05, [0.95, 1.15], 1 / 0.9)).toBe('pass');
    expect(verdictOf(1.05, [0.85, 1.15], 1 / 0.9)).toBe('inconclusive');
  });
});

describe('pairedRatio', () => {
  it('is the median of the per-round ratios, with the lowest and highest', () => {
    expect(pairedRatio([2, 6, 3], [1, 2, 3])).toEqual({ ratio: 2, range: [1, 3] });
  });
});

describe('exactCount', () => {
  const stored = ['a', 'b', 'c'].map((s) => sha256(Buffer.from(s)));

  it('counts received messages that are stored ones, in any order, each once', () => {
    expect(exactCount(stored, [stored[2], stored[0], stored[1]] as string[])).toBe(3);
    expect(exactCount(stored, [stored[0], stored[0], sha256(Buffer.from('x'))] as string[])).toBe(1);
  });
});

describe('messageFromContract', () => {
  it("undoes exactly what node-pop3's RETR documents: dot-stuffing kept, the final CRLF dropped", () => {
    const message = Buffer.from('Subject: dots\r\n\r\n.leading\r\n.\r\n..two\r\nend\r\n');
    const asReturned = 'Subject: dots\r\n\r\n..leading\r\n..\r\n...two\r\nend';
    expect(messageFromContract(asReturned)).toEqual(message);
    expect(messageFromContract('..first line\r\nx')).toEqual(Buffer.from('.first line\r\nx\r\n'));
  });
});
