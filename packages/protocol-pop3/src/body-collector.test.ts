import { describe, expect, it } from 'vitest';
import { BodyCollector } from './body-collector.js';

const overflow = () => new Error('overflow');

describe('BodyCollector', () => {
  it('never allocates more than its limit, and refuses the piece that would cross it', () => {
    const limit = 100_000;
    const collector = new BodyCollector(limit, overflow);
    const chunk = Buffer.alloc(7_000, 0x61);
    let taken = 0;
    expect(() => {
      for (;;) {
        collector.add(chunk, 0, chunk.length);
        taken += chunk.length;
        expect(collector.length).toBeLessThanOrEqual(limit);
      }
    }).toThrow('overflow');
    expect(taken).toBe(Math.floor(limit / chunk.length) * chunk.length);
    expect(collector.buffer().length).toBe(taken);
  });

  it('takes exactly the limit', () => {
    const collector = new BodyCollector(10, overflow);
    collector.add(Buffer.from('0123456789'), 0, 10);
    expect(collector.buffer().toString('latin1')).toBe('0123456789');
    expect(() => collector.add(Buffer.from('x'), 0, 1)).toThrow('overflow');
  });

  it('joins the pieces once, at the end; a body that is most of one chunk is that chunk, a small one a copy', () => {
    // Not from Buffer's shared pool: a chunk of its own, as the socket hands over.
    const chunk = Buffer.alloc(20);
    chunk.write('+OK\r\nabcdefgh\r\n.\r\n', 'latin1');
    const whole = new BodyCollector(100, overflow);
    whole.add(chunk, 5, 15);
    expect(whole.buffer().buffer).toBe(chunk.buffer);
    const big = Buffer.alloc(4096, 0x61);
    const small = new BodyCollector(100, overflow);
    small.add(big, 10, 20);
    const held = small.buffer();
    expect(held.toString()).toBe('a'.repeat(10));
    expect(held.buffer).not.toBe(big.buffer);
    const split = new BodyCollector(100, overflow);
    split.add(Buffer.from('xxhello'), 2, 7);
    split.add(Buffer.from(' world!!'), 0, 6);
    split.add(Buffer.from('nothing'), 3, 3);
    expect(split.buffer().toString()).toBe('hello world');
  });
});
