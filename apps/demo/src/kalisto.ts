import type { Kalisto } from '@kalisto/core';
import { createOutlook } from '@kalisto/outlook';

/**
 * The one call an application makes: `@kalisto/outlook` registers the whole WebSphere provider
 * table (imap, imaps, pop3, pop3s, smtp, smtps) and Microsoft Graph's store and transport (graph),
 * the MSAL token provider and one process-wide memory cache that every session shares.
 */
export function createTourKalisto(): Kalisto {
  return createOutlook();
}
