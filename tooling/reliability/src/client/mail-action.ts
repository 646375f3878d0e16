/** One mail operation through a Kalisto session, as an application does it. */
import type { Pop3Client } from '@kalisto/protocol-pop3';
import type { ImapFlow } from 'imapflow';
import { suiteKalisto } from '../support/kalisto.js';
import type { ClientAction } from './actions.js';

/** What the mail action does once the session is configured. */
export type MailOperation = 'open' | 'imap-list' | 'pop3-list' | 'pop3-uidl' | 'pop3-retr';

export interface MailInput {
  properties: Record<string, string>;
  protocol: string;
  operation: MailOperation;
}

const TRANSPORTS = new Set(['smtp', 'smtps']);

export const mailAction: ClientAction = async (input, { ready }) => {
  const { properties, protocol, operation } = input as unknown as MailInput;
  const kalisto = suiteKalisto();
  const session = kalisto.session(properties);
  try {
    // Warm up what every connection shares (the token, MSAL, the trusted TLS context) before the
    // baseline, so the growth measured is what the hostile server caused.
    await session.tokens.getToken();
    await ready();
    if (TRANSPORTS.has(protocol)) {
      await session.transport(protocol);
      return { operation, ok: true };
    }
    const client = await session.store(protocol);
    switch (operation) {
      case 'imap-list':
        return { operation, folders: (await (client as ImapFlow).list()).length };
      case 'pop3-list':
        return { operation, entries: (await (client as Pop3Client).list()).length };
      case 'pop3-uidl':
        return { operation, entries: (await (client as Pop3Client).uidl()).length };
      case 'pop3-retr':
        return { operation, bytes: (await (client as Pop3Client).retrBuffer(1)).length };
      default:
        return { operation, ok: true };
    }
  } finally {
    // Closing may hang on a hostile server: the result is what counts, the process exits after it.
    void kalisto.close().catch(() => undefined);
  }
};
