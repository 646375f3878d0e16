/** Load: many IMAP sessions and SMTP sends at once on one Kalisto session (one token). */
import type { SmtpTransporter } from '@kalisto/protocol-smtp';
import type { ImapFlow } from 'imapflow';
import { errorLabel, summarizeError } from '../support/errors.js';
import { suiteKalisto } from '../support/kalisto.js';
import type { ClientAction } from './actions.js';

/** Counts of each outcome, e.g. `{ ok: 498, 'ConnectionError IMAP_TIMEOUT': 2 }`. */
async function tally(tasks: readonly Promise<unknown>[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const result of await Promise.allSettled(tasks)) {
    const key = result.status === 'fulfilled' ? 'ok' : errorLabel(summarizeError(result.reason));
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

export const loadImapAction: ClientAction = async (input, { ready }) => {
  const kalisto = suiteKalisto();
  const session = kalisto.session(input.properties as Record<string, string>);
  const count = Number(input.count);
  await ready();
  const clients: ImapFlow[] = [];
  const opened = await tally(
    Array.from({ length: count }, async () => {
      const client = (await session.store('imaps')) as ImapFlow;
      clients.push(client);
      await client.list();
    }),
  );
  const closed = await tally(clients.map((client) => client.logout()));
  await kalisto.close();
  return { opened, closed };
};

export const loadSmtpAction: ClientAction = async (input, { ready }) => {
  const kalisto = suiteKalisto();
  const session = kalisto.session(input.properties as Record<string, string>);
  const count = Number(input.count);
  await ready();
  const transport = (await session.transport('smtp')) as SmtpTransporter;
  const sent = await tally(
    Array.from({ length: count }, (_, i) =>
      transport.sendMail({
        from: String(input.from),
        to: String(input.to),
        subject: `${input.tag} ${i}`,
        text: `Load message ${i}.`,
      }),
    ),
  );
  await kalisto.close();
  return { sent };
};
