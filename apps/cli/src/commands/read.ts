import { KalistoError } from '@kalisto/core';
import type { Command } from 'commander';
import type { AddressObject } from 'mailparser';
import { openImap } from '../mail-clients.js';
import type { CommandRunner } from '../runner.js';
import { formatSize, oneLine, positiveInteger } from '../text.js';

interface ReadOptions {
  folder: string;
  raw?: boolean;
  protocol?: string;
}

function addresses(value: AddressObject | AddressObject[] | undefined): string {
  if (value === undefined) return '';
  return (Array.isArray(value) ? value : [value]).map((a) => a.text).join(', ');
}

/** `kalisto read <uid>`: a message's headers, text body and attachment list (mailparser). */
export function registerRead(program: Command, runner: CommandRunner): void {
  program
    .command('read')
    .description('show one message: headers, text body and attachments (IMAP)')
    .argument('<uid>', "the message's UID (see kalisto list)")
    .option('--folder <name>', 'the folder', 'INBOX')
    .option('--raw', 'print the message source as stored')
    .option('--protocol <name>', 'imap or imaps (default: mail.store.protocol, else imaps)')
    .action(
      runner.action<ReadOptions>(async (context, options, [uidText]) => {
        const uid = positiveInteger(String(uidText), '<uid>');
        const client = await openImap(context, options.protocol);
        const lock = await client.getMailboxLock(options.folder, { readOnly: true });
        let source: Buffer | undefined;
        try {
          const message = await client.fetchOne(String(uid), { uid: true, source: true }, { uid: true });
          source = message ? message.source : undefined;
        } finally {
          lock.release();
        }
        if (source === undefined) {
          throw new KalistoError(`No message with UID ${uid} in ${options.folder}.`, {
            code: 'CLI_MESSAGE_NOT_FOUND',
            hint: `Run kalisto list ${options.folder} for the UIDs.`,
          });
        }
        if (options.raw) {
          if (context.output.json) context.output.result({ uid, source: source.toString('utf8') }, () => '');
          else context.output.raw(source);
          return undefined;
        }
        const { simpleParser } = await import('mailparser');
        const mail = await simpleParser(source);
        const data = {
          uid,
          folder: options.folder,
          from: addresses(mail.from),
          to: addresses(mail.to),
          cc: addresses(mail.cc),
          date: mail.date?.toISOString(),
          subject: mail.subject ?? '',
          messageId: mail.messageId,
          text: mail.text ?? '',
          attachments: mail.attachments.map((a) => ({
            filename: a.filename ?? '(unnamed)',
            contentType: a.contentType,
            size: a.size,
          })),
        };
        context.output.result(data, () => {
          const header = (name: string, value: string | undefined) =>
            value ? [`${name.padEnd(9)}${oneLine(value)}`] : [];
          const lines = [
            ...header('From:', data.from),
            ...header('To:', data.to),
            ...header('Cc:', data.cc),
            ...header('Date:', data.date),
            ...header('Subject:', data.subject),
            ...data.attachments.map(
              (a) => `Attached: ${oneLine(a.filename)} (${oneLine(a.contentType)}, ${formatSize(a.size)})`,
            ),
            '',
            data.text.trimEnd() || '(no text body)',
          ];
          return lines.join('\n');
        });
        return undefined;
      }),
    );
}
