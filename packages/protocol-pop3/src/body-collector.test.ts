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
        expect(collector.capacity).toBeLessThanOrEqual(limit);
      }
    }).toThrow('overflow');
    expect(taken).toBe(Math.floor(limit / chunk.length) * chunk.length);
    expect(collector.buffer().length).toBe(taken);
  });

  it('takes exactly the limit', () => {
    const collector = new BodyCollector(10, overflow);
    collector.add(Buffer.from('0123456789'), 0, 10);
    expect(collector.text()).toBe('0123456789');
    expect(() => collector.add(Buffer.from('x'), 0, 1)).toThrow('overflow');
  });

  it('preallocates from the +OK octet count, capped by the limit', () => {
    const collector = new BodyCollector(4096, overflow);
    collector.begin({ type: 'ok', text: '999999999 octets' });
    expect(collector.capacity).toBe(4096);
    const sized = new BodyCollector(1 << 20, overflow);
    sized.begin({ type: 'ok', text: '300 octets' });
    expect(sized.capacity).toBe(300);
  });
});
