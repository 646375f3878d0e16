import { randomBytes } from 'node:crypto';
import { ConfigError, Secret } from '@kalisto/core';
import { describe, expect, it } from 'vitest';
import { CACHE_KEY_ENV, createSealer, resolveEncryptionKeys } from './sealing.js';

describe('createSealer', () => {
  const key = randomBytes(32);

  it('round-trips, with a fresh IV each time', () => {
    const sealer = createSealer([key]);
    const a = sealer.seal('{"accessToken":"abc"}', 'k');
    const b = sealer.seal('{"accessToken":"abc"}', 'k');
    expect(a.equals(b)).toBe(false);
    expect(sealer.open(a, 'k')).toBe('{"accessToken":"abc"}');
  });

  it('refuses a value under another key (AAD), a tampered one, and one sealed with another key', () => {
    const sealer = createSealer([key]);
    const sealed = sealer.seal('secret', 'k');
    expect(sealer.open(sealed, 'other')).toBeUndefined();
    const tampered = Buffer.from(sealed);
    tampered[tampered.length - 1]! ^= 1;
    expect(sealer.open(tampered, 'k')).toBeUndefined();
    expect(createSealer([randomBytes(32)]).open(sealed, 'k')).toBeUndefined();
    expect(sealer.open(Buffer.from('"clear json"'), 'k')).toBeUndefined();
  });

  it('opens with any of its keys and seals with the first', () => {
    const old = createSealer([key]).seal('v', 'k');
    const rotated = createSealer([randomBytes(32), key]);
    expect(rotated.open(old, 'k')).toBe('v');
    expect(createSealer([key]).open(rotated.seal('v', 'k'), 'k')).toBeUndefined();
  });
});

describe('resolveEncryptionKeys', () => {
  const bytes = randomBytes(32);

  it('accepts hex, base64, base64url, bytes and a Secret', () => {
    for (const input of [
      bytes.toString('hex'),
      bytes.toString('base64'),
      bytes.toString('base64url'),
      bytes,
      new Secret(bytes.toString('hex')),
    ]) {
      expect(resolveEncryptionKeys(input, 'x', {})?.[0]?.equals(bytes)).toBe(true);
    }
  });

  it('falls back to KALISTO_CACHE_KEY, and to none', () => {
    expect(
      resolveEncryptionKeys(undefined, 'x', { [CACHE_KEY_ENV]: bytes.toString('hex') })?.[0]?.equals(bytes),
    ).toBe(true);
    expect(resolveEncryptionKeys(undefined, 'x', {})).toBeUndefined();
  });

  it('rejects a key of the wrong size as a ConfigError that does not show it', () => {
    const short = 'c2hvcnQta2V5LXZhbHVl';
    let error: unknown;
    try {
      resolveEncryptionKeys(short, 'fileCache.encryptionKey', {});
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('fileCache.encryptionKey');
    expect((error as Error).message).not.toContain(short);
    expect(() => resolveEncryptionKeys(undefined, 'x', { [CACHE_KEY_ENV]: 'nope' })).toThrow(CACHE_KEY_ENV);
  });
});
