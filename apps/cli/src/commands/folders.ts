import type { Command } from 'commander';
import { openImap } from '../mail-clients.js';
import type { CommandRunner } from '../runner.js';
import { rowsOf } from '../table.js';

interface FoldersOptions {
  protocol?: string;
}

/** `kalisto folders`: every IMAP folder with its special use and message counts. */
export function registerFolders(program: Command, runner: CommandRunner): void {
  program
    .command('folders')
    .description('list the mailbox folders with message and unseen counts (IMAP)')
    .option('--protocol <name>', 'imap or imaps (default: mail.store.protocol, else imaps)')
    .action(
      runner.action<FoldersOptions>(async (context, options) => {
        const client = await openImap(context, options.protocol);
        const folders = await client.list({ statusQuery: { messages: true, unseen: true } });
        const rows = folders.map((folder) => ({
          path: folder.path,
          specialUse: folder.specialUse ?? null,
          messages: folder.status?.messages ?? null,
          unseen: folder.status?.unseen ?? null,
        }));
        await context.output.table(
          { folders: rows },
          {
            head: ['FOLDER', 'SPECIAL', 'MESSAGES', 'UNSEEN'],
            rows: rowsOf(rows, (r) => [
              r.path,
              r.specialUse ?? '',
              String(r.messages ?? '-'),
              String(r.unseen ?? '-'),
            ]),
          },
        );
        return undefined;
      }),
    );
}
