/** Opening the right kind of client for a command, with a clear error for the wrong protocol. */

import type { Pop3Client } from '@kalisto/protocol-pop3';
import type { SmtpTransporter } from '@kalisto/protocol-smtp';
import type { ImapFlow } from 'imapflow';
import { protocolFamily } from './claims.js';
import type { CliContext } from './context.js';
import { usageError } from './errors.js';

/** The protocol a command uses: the one given, else the configured one of that family, else its TLS form. */
export async function pickProtocol(
  context: CliContext,
  given: string | undefined,
  family: 'imap' | 'pop3' | 'smtp',
): Promise<string> {
  const config = await context.config();
  const fallback = family === 'smtp' ? config.transportProtocol : config.storeProtocol;
  const protocol = given ?? (protocolFamily(fallback) === family ? fallback : `${family}s`);
  if (protocolFamily(protocol) !== family) {
    throw usageError(
      `--protocol ${protocol} is not ${family.toUpperCase()}.`,
      `Use --protocol ${family === 'pop3' ? 'pop3 or pop3s' : `${family} or ${family}s`}.`,
    );
  }
  return protocol;
}

/** An authenticated IMAP client: `--protocol`, else `mail.store.protocol` when it is IMAP, else imaps. */
export async function openImap(context: CliContext, protocol?: string): Promise<ImapFlow> {
  const session = await context.session();
  return session.store((await pickProtocol(context, protocol, 'imap')) as 'imaps');
}

/** An authenticated POP3 client: `--protocol`, else `mail.store.protocol` when it is POP3, else pop3s. */
export async function openPop3(context: CliContext, protocol?: string): Promise<Pop3Client> {
  const session = await context.session();
  return session.store((await pickProtocol(context, protocol, 'pop3')) as 'pop3s');
}

/**
 * An SMTP transporter for one message (`kalisto send`): without `session.transport()`'s login
 * check, so that the message costs one login — the send's own, which fails the same way. Closed by
 * the caller. A `mail.<p>.class` naming a provider other than smtp/smtps goes through the session.
 */
export async function openSmtpForOneMessage(context: CliContext, protocol: string): Promise<SmtpTransporter> {
  const session = await context.session();
  const settings = session.config.protocols[protocol];
  const provider = (await context.kalisto()).protocols.protocolOf(settings?.providerClass ?? protocol);
  if (settings === undefined || (provider !== 'smtp' && provider !== 'smtps')) {
    return session.transport(protocol as 'smtp');
  }
  const { openSmtpTransport } = await import('@kalisto/protocol-smtp');
  const logger = session.logger.child?.({ protocol }) ?? session.logger;
  return openSmtpTransport({ session, settings, logger }, { verify: false });
}
