import { AuthenticationError, ConfigError, ConnectionError, TokenError } from '@kalisto/core';
import { describe, expect, it } from 'vitest';
import { upstreamConnectError, upstreamFailureReply } from './errors.js';

describe('upstreamFailureReply', () => {
  it('is "refused" only for a final refusal of the mailbox, "unavailable" for everything that may pass', () => {
    const refusal = (transient: boolean) =>
      new AuthenticationError('[imap] refused', {
        code: 'AUTH_MAILBOX_NOT_CONNECTED',
        protocol: 'imap',
        transient,
      });
    expect(upstreamFailureReply(refusal(false))).toBe('refused');
    expect(upstreamFailureReply(refusal(true))).toBe('unavailable');
    const endpoint = { kind: 'imap', protocol: 'imaps', host: '127.0.0.1', port: 993 };
    expect(upstreamFailureReply(upstreamConnectError(endpoint, { code: 'ECONNREFUSED' }))).toBe(
      'unavailable',
    );
    expect(upstreamFailureReply(new TokenError('[token] down', { code: 'TOKEN_NETWORK' }))).toBe(
      'unavailable',
    );
    expect(upstreamFailureReply(new ConfigError([{ property: 'mail.imaps.host', expected: 'a host' }]))).toBe(
      'unavailable',
    );
    expect(upstreamFailureReply(new Error('anything'))).toBe('unavailable');
    expect(upstreamFailureReply(new ConnectionError('[imap] throttled', { code: 'THROTTLED' }))).toBe(
      'unavailable',
    );
  });

  it('names the network error code and the property to check, never the OS wording', () => {
    const error = upstreamConnectError(
      { kind: 'pop3', protocol: 'pop3s', host: 'mail.example', port: 995 },
      Object.assign(new Error('connect ECONNREFUSED 10.1.2.3:995 with details'), { code: 'ECONNREFUSED' }),
    );
    expect(error.message).toBe(
      "[relay:pop3] Cannot connect to pop3s mail.example:995 (ECONNREFUSED). Check mail.pop3s.host and .port of the mailbox's session and that the server is reachable from the relay.",
    );
    expect(error.code).toBe('RELAY_UPSTREAM_CONNECT_FAILED');
  });
});
