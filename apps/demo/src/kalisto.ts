import { memoryCache } from '@kalisto/cache-memory';
import { createKalisto, type Kalisto } from '@kalisto/core';
import { imap, imaps } from '@kalisto/protocol-imap';
import { pop3, pop3s } from '@kalisto/protocol-pop3';
import { smtp, smtps } from '@kalisto/protocol-smtp';
import { msalTokenProvider } from '@kalisto/token-msal';

/**
 * A Kalisto with the whole WebSphere provider table (imap, imaps, pop3, pop3s, smtp, smtps), the
 * MSAL token provider and one process-wide memory cache that every session shares.
 */
export function createTourKalisto(): Kalisto {
  return createKalisto({
    protocols: [imap(), imaps(), pop3(), pop3s(), smtp(), smtps()],
    tokenProviders: [msalTokenProvider()],
    caches: [memoryCache()],
  });
}
