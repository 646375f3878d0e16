import { ConnectionError, KalistoError } from '@kalisto/core';
import { describe, expect, it } from 'vitest';
import { isPlainTextReply, plainPortHint, withCliHint } from './hints.js';

const openssl = Object.assign(
  new Error('80CC:error:0A00010B:SSL routines:ssl3_get_record:wrong version number'),
  {
    code: 'ERR_SSL_WRONG_VERSION_NUMBER',
  },
);

describe('withCliHint', () => {
  it('rewords a TLS failure against a plain port, keeping the code, the endpoint and the cause', () => {
    const error = new ConnectionError('[imaps] TLS with 127.0.0.1:143 failed: … Trust the server’s CA …', {
      code: 'IMAP_TLS_FAILED',
      protocol: 'imaps',
      host: '127.0.0.1',
      port: 143,
      cause: openssl,
    });
    const shown = withCliHint(error) as ConnectionError;
    expect(shown).toMatchObject({
      name: 'ConnectionError',
      code: 'IMAP_TLS_FAILED',
      protocol: 'imaps',
      port: 143,
    });
    expect(shown.cause).toBe(error);
    expect(shown.message).toBe(
      '[imaps] 127.0.0.1:143 answered a TLS handshake in plain text (wrong version number). The port answered in plain text, so it is not an implicit-TLS port: for a STARTTLS port (IMAP 143) set mail.imaps.ssl.enable=false and mail.imaps.starttls.enable=true; for implicit TLS set mail.imaps.port to the TLS port (IMAP 993).',
    );
  });

  it('leaves other errors as they are', () => {
    const untrusted = new ConnectionError('x', {
      code: 'IMAP_TLS_FAILED',
      protocol: 'imaps',
      cause: new Error('self-signed'),
    });
    const notConnection = new KalistoError('y', { code: 'X', cause: openssl });
    expect(withCliHint(untrusted)).toBe(untrusted);
    expect(withCliHint(notConnection)).toBe(notConnection);
    expect(withCliHint(openssl)).toBe(openssl);
  });

  it('recognises the plain-text reply by code or by OpenSSL’s words, a few causes down', () => {
    expect(isPlainTextReply(new Error('a', { cause: new Error('b', { cause: openssl }) }))).toBe(true);
    expect(isPlainTextReply(new Error('ssl3_get_record:wrong version number'))).toBe(true);
    expect(isPlainTextReply(new Error('certificate has expired'))).toBe(false);
  });

  it('names the ports of each family', () => {
    expect(plainPortHint('pop3s')).toContain('(POP3 110)');
    expect(plainPortHint('smtp')).toContain('(SMTP 465)');
  });
});
