import type { Command } from 'commander';
import { openImap } from '../mail-clients.js';
import type { CommandRunner } from '../runner.js';
import { rowsOf } from '../table.js';
import { formatDate, formatSize, oneLine, plural, positiveInteger } from '../text.js';

interface ListOptions {
  limit: string;
  page: string;
  protocol?: string;
}

/** `kalisto list [folder]`: one page of messages, newest first. */
export function registerList(program: Command, runner: CommandRunner): void {
  program
    .command('list')
    .description('list messages in a folder, newest first (IMAP)')
    .argument('[folder]', 'the folder', 'INBOX')
    .option('--limit <n>', 'messages per page', '20')
    .option('--page <n>', 'page number, 1 = newest', '1')
    .option('--protocol <name>', 'imap or imaps (default: mail.store.protocol, else imaps)')
    .action(
      runner.action<ListOptions>(async (context, options, [folder]) => {
        const limit = positiveInteger(options.limit, '--limit');
        const page = positiveInteger(options.page, '--page');
        const client = await openImap(context, options.protocol);
        const lock = await client.getMailboxLock(String(folder), { readOnly: true });
        const messages: {
          uid: number;
          date: string | undefined;
          from: string;
          subject: string;
          size: number;
          seen: boolean;
        }[] = [];
        let total = 0;
        try {
          total = client.mailbox ? client.mailbox.exists : 0;
          const last = total - (page - 1) * limit;
          if (last >= 1) {
            const first = Math.max(1, last - limit + 1);
            const query = { uid: true, envelope: true, flags: true, size: true, internalDate: true };
            for await (const message of client.fetch(`${first}:${last}`, query)) {
              const sender = message.envelope?.from?.[0];
              const date = message.envelope?.date ?? message.internalDate;
              messages.push({
                uid: message.uid,
                date: date === undefined ? undefined : new Date(date).toISOString(),
                from: sender
                  ? sender.name
                    ? `${sender.name} <${sender.address ?? ''}>`
                    : (sender.address ?? '')
                  : '',
                subject: message.envelope?.subject ?? '',
                size: message.size ?? 0,
                seen: message.flags?.has('\\Seen') ?? false,
              });
            }
          }
        } finally {
          lock.release();
        }
        messages.reverse();
        const pages = Math.max(1, Math.ceil(total / limit));
        await context.output.table(
          { folder, total, page, pages, messages },
          {
            head: ['UID', 'DATE (UTC)', 'FROM', 'SUBJECT', 'SIZE'],
            rows: rowsOf(messages, (m) => [
              `${m.seen ? ' ' : '*'}${m.uid}`,
              formatDate(m.date),
              oneLine(m.from, 32),
              oneLine(m.subject, 50),
              formatSize(m.size),
            ]),
            empty: `${folder}: no messages on page ${page} of ${pages} (${total} in all).`,
            footer: `${folder}: page ${page} of ${pages}, ${plural(total, 'message')} (* = unseen).`,
          },
        );
        return undefined;
      }),
    );
}
