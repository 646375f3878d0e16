import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Secret } from '../config/secret.js';
import { ConfigError } from '../errors/errors.js';
import { CACHE_KEY_ENV, createValueSealer, type ValueSealer } from './sealing.js';

function sealerWith(key: Uint8Array | readonly Uint8Array[]): ValueSealer {
  const sealer = createValueSealer({ key, env: {} });
  if (sealer === undefined) throw new Error('expected a sealer');
  return sealer;
}

describe('createValueSealer: sealing', () => {
  const key = randomBytes(32);

  it('round-trips, with a fresh IV each time', () => {
    const sealer = sealerWith(key);
    const a = sealer.seal('k', '{"accessToken":"abc"}');
    const b = sealer.seal('k', '{"accessToken":"abc"}');
    expect(a.equals(b)).toBe(false);
    expect(sealer.open('k', a)).toBe('{"accessToken":"abc"}');
  });

  it('refuses a value under another cache key (AAD), a tampered one, one sealed with another key, and clear JSON', () => {
    const sealer = sealerWith(key);
    const sealed = sealer.seal('k', 'secret');
    expect(sealer.open('other', sealed)).toBeUndefined();
    const tampered = Buffer.from(sealed);
    tampered[tampered.length - 1]! ^= 1;
    expect(sealer.open('k', tampered)).toBeUndefined();
    expect(sealerWith(randomBytes(32)).open('k', sealed)).toBeUndefined();
    expect(sealer.open('k', Buffer.from('"clear json"'))).toBeUndefined();
  });

  it('opens with any of its keys and seals with the first', () => {
    const old = sealerWith(key).seal('k', 'v');
    const rotated = sealerWith([randomBytes(32), key]);
    expect(rotated.open('k', old)).toBe('v');
    expect(sealerWith(key).open('k', rotated.seal('k', 'v'))).toBeUndefined();
  });

  it('still opens values written by the 0.x Redis and file backends (format version 1)', () => {
    // Sealed by the backends' own sealer before it moved to core; the bytes stored in Redis and in files.
    const key = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');
    const stored = Buffer.from(
      'AWOEpXIe7TxCrls5eL+5xevOxLUrsQi6H9BaYPI7mXKd0BHHLw6DvgzBz+rImJvKqhRljV+R9O/EhNuEqeXwcFA=',
      'base64',
    );
    const sealer = sealerWith(key);
    expect(sealer.open('kalisto:token:k', stored)).toBe('{"accessToken":"abc","expiresAt":1}');
    expect([...sealer.seal('k', 'v').subarray(0, 2)]).toEqual([1, stored[1]]);
  });
});

describe('createValueSealer: keys', () => {
  const bytes = randomBytes(32);
  const probe = (sealer: ValueSealer | undefined) => sealer?.open('k', sealerWith(bytes).seal('k', 'v'));

  it('accepts hex, base64, base64url, bytes and a Secret', () => {
    for (const key of [
      bytes.toString('hex'),
      bytes.toString('base64'),
      bytes.toString('base64url'),
      bytes,
      new Secret(bytes.toString('hex')),
    ]) {
      expect(probe(createValueSealer({ key, env: {} }))).toBe('v');
    }
  });

  it('falls back to KALISTO_CACHE_KEY, and to no sealer', () => {
    expect(probe(createValueSealer({ env: { [CACHE_KEY_ENV]: bytes.toString('hex') } }))).toBe('v');
    expect(createValueSealer({ env: {} })).toBeUndefined();
    expect(createValueSealer({ env: { [CACHE_KEY_ENV]: '' } })).toBeUndefined();
  });

  it('rejects a key of the wrong size as a ConfigError that names the property but does not show the key', () => {
    const short = 'c2hvcnQta2V5LXZhbHVl';
    const create = () => createValueSealer({ key: short, property: 'myCache.encryptionKey', env: {} });
    expect(create).toThrow(ConfigError);
    expect(create).toThrow('myCache.encryptionKey');
    expect(create).toThrow(expect.objectContaining({ message: expect.not.stringContaining(short) }));
    expect(() => createValueSealer({ key: [bytes, short], env: {} })).toThrow('encryptionKey[1]');
    expect(() => createValueSealer({ env: { [CACHE_KEY_ENV]: 'nope' } })).toThrow(CACHE_KEY_ENV);
  });
});
