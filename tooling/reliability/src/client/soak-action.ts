/**
 * The soak: for `durationMs`, loops IMAP (connect, open the Inbox, fetch the newest source,
 * logout), POP3 (connect, STAT, RETR 1, QUIT) and an SMTP send, on one session; every 5 s a full
 * collection and an `rss` event, so the trend shows what is retained.
 */
import type { Pop3Client } from '@kalisto/protocol-pop3';
import type { SmtpTransporter } from '@kalisto/protocol-smtp';
import type { ImapFlow } from 'imapflow';
import { errorLabel, summarizeError } from '../support/errors.js';
import { suiteKalisto } from '../support/kalisto.js';
import type { ClientAction } from './actions.js';
import { collectGarbage } from './gc.js';

const RSS_EVERY_MS = 5_000;

export const soakAction: ClientAction = async (input, { ready, emit }) => {
  const kalisto = suiteKalisto();
  const session = kalisto.session(input.properties as Record<string, string>);
  const transport = (await session.transport('smtp')) as SmtpTransporter;
  const round = async (i: number) => {
    const imap = (await session.store('imaps')) as ImapFlow;
    await imap.mailboxOpen('INBOX');
    await imap.fetchOne('*', { source: true });
    await imap.logout();
    const pop3 = (await session.store('pop3s')) as Pop3Client;
    await pop3.stat();
    await pop3.retrBuffer(1);
    await pop3.quit();
    await transport.sendMail({
      from: String(input.from),
      to: String(input.to),
      subject: `soak ${i}`,
      text: 'soak',
    });
  };
  await round(-1);
  await ready();
  const started = Date.now();
  const failures: Record<string, number> = {};
  let rounds = 0;
  let nextRss = started;
  while (Date.now() - started < Number(input.durationMs)) {
    try {
      await round(rounds);
    } catch (error) {
      const label = errorLabel(summarizeError(error));
      failures[label] = (failures[label] ?? 0) + 1;
    }
    rounds++;
    if (Date.now() >= nextRss) {
      collectGarbage();
      emit({ event: 'rss', atMs: Date.now() - started, mb: process.memoryUsage().rss / 1024 / 1024 });
      nextRss += RSS_EVERY_MS;
    }
  }
  await kalisto.close();
  return { rounds, failures };
};
