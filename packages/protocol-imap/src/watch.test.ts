import { AuthenticationError, ConfigError, ConnectionError, KalistoError, TokenError } from '@kalisto/core';
import { describe, expect, it } from 'vitest';
import { renewalDelay, watchFailureKind } from './watch.js';

describe('renewalDelay', () => {
  const now = 1_000_000;

  it('renews the margin before expiry for a long-lived token', () => {
    expect(renewalDelay(now + 3_600_000, now, 60_000)).toBe(3_540_000);
  });

  it('never renews before half of the remaining time, so short tokens do not loop', () => {
    expect(renewalDelay(now + 4_000, now, 60_000)).toBe(2_000);
    expect(renewalDelay(now - 10, now, 60_000)).toBe(0);
  });

  it('is off with false', () => {
    expect(renewalDelay(now + 4_000, now, false)).toBeUndefined();
  });
});

describe('watchFailureKind', () => {
  it('counts refused logins, retries expiry and the network, gives up on what no reconnect cures', () => {
    const refused = new AuthenticationError('refused', { code: 'AUTH_TOKEN_REJECTED', protocol: 'imap' });
    const expired = new AuthenticationError('expired', {
      code: 'AUTH_TOKEN_EXPIRED',
      protocol: 'imap',
      transient: true,
    });
    expect(watchFailureKind(refused)).toBe('refusal');
    expect(watchFailureKind(expired)).toBe('retry');
    expect(watchFailureKind(new ConnectionError('down', { code: 'CONNECTION_FAILED' }))).toBe('retry');
    expect(watchFailureKind(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe('retry');
    expect(watchFailureKind(new ConfigError([{ property: 'mail.imaps.user', expected: 'a user' }]))).toBe(
      'permanent',
    );
    expect(watchFailureKind(new ConnectionError('tls', { code: 'IMAP_TLS_FAILED', transient: false }))).toBe(
      'permanent',
    );
    expect(watchFailureKind(new TokenError('secret', { code: 'TOKEN_INVALID_CLIENT_SECRET' }))).toBe(
      'permanent',
    );
    expect(watchFailureKind(new KalistoError('closed', { code: 'SESSION_CLOSED' }))).toBe('permanent');
  });
});
