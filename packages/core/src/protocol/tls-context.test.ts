import { rootCertificates } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { TRUSTED_SECURE_CONTEXT_LIMIT, trustedSecureContext } from './tls-context.js';

// Real PEM certificates to stand in for an extra CA: any valid certificate makes a distinct context.
const [caA, caB] = rootCertificates;

describe('trustedSecureContext', () => {
  it('returns the same context for the same CA and TLS floor', () => {
    const first = trustedSecureContext({ ca: caA, minVersion: 'TLSv1.2' });
    expect(trustedSecureContext({ ca: caA, minVersion: 'TLSv1.2' })).toBe(first);
    expect(trustedSecureContext({ ca: [caA as string], minVersion: 'TLSv1.2' })).toBe(first);
    expect(trustedSecureContext({ minVersion: 'TLSv1.2' })).toBe(
      trustedSecureContext({ minVersion: 'TLSv1.2' }),
    );
  });

  it('builds a different context for a different CA or TLS floor', () => {
    const base = trustedSecureContext({ ca: caA, minVersion: 'TLSv1.2' });
    expect(trustedSecureContext({ ca: caB, minVersion: 'TLSv1.2' })).not.toBe(base);
    expect(trustedSecureContext({ ca: caA, minVersion: 'TLSv1.3' })).not.toBe(base);
    expect(trustedSecureContext({ minVersion: 'TLSv1.2' })).not.toBe(base);
  });

  it('keeps at most the limit, dropping the least recently used context', () => {
    const kept = trustedSecureContext({ ca: caA, minVersion: 'TLSv1.3' });
    const dropped = trustedSecureContext({ ca: caB, minVersion: 'TLSv1.3' });
    // Using `kept` again makes `dropped` the oldest of the two.
    trustedSecureContext({ ca: caA, minVersion: 'TLSv1.3' });
    for (const ca of rootCertificates.slice(2, 2 + TRUSTED_SECURE_CONTEXT_LIMIT - 1)) {
      trustedSecureContext({ ca, minVersion: 'TLSv1.3' });
    }
    expect(trustedSecureContext({ ca: caA, minVersion: 'TLSv1.3' })).toBe(kept);
    expect(trustedSecureContext({ ca: caB, minVersion: 'TLSv1.3' })).not.toBe(dropped);
  });
});
