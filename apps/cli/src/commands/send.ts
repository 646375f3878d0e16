import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { usageError } from '../errors.js';
import { openSmtpForOneMessage, pickProtocol } from '../mail-clients.js';
import type { CommandRunner } from '../runner.js';

interface SendOptions {
  to: string[];
  cc?: string[];
  bcc?: string[];
  subject: string;
  text?: string;
  html?: string;
  bodyFile?: string;
  attach?: string[];
  from?: string;
  protocol?: string;
}

const collect = (value: string, previous: string[] = []): string[] => [
  ...previous,
  ...value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean),
];
const collectFiles = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Reads standard input to the end. */
async function readStdin(context: CliContext): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of context.io.stdin)
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

async function readFileFor(option: string, path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw usageError(
      `${option} ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? 'error'}).`,
    );
  }
}

/** The body from exactly one of --text, --html, --body-file, or standard input. */
async function body(context: CliContext, options: SendOptions): Promise<{ text?: string; html?: string }> {
  const given = [options.text, options.html, options.bodyFile].filter((v) => v !== undefined);
  if (given.length > 1) throw usageError('Give one of --text, --html and --body-file.');
  if (options.text !== undefined) return { text: options.text };
  if (options.html !== undefined) return { html: options.html };
  if (options.bodyFile !== undefined) {
    const content = (await readFileFor('--body-file', options.bodyFile)).toString('utf8');
    return /^\.html?$/i.test(extname(options.bodyFile)) ? { html: content } : { text: content };
  }
  if (context.io.stdin.isTTY) {
    throw usageError(
      'No message body.',
      'Give --text, --html or --body-file, or pipe the body into standard input.',
    );
  }
  return { text: await readStdin(context) };
}

/** `kalisto send`: one message over SMTP, with attachments. */
export function registerSend(program: Command, runner: CommandRunner): void {
  program
    .command('send')
    .description('send a message (SMTP); the body from --text, --html, --body-file or standard input')
    .requiredOption('--to <address>', 'recipient (repeatable, or comma-separated)', collect)
    .option('--cc <address>', 'copy recipient (repeatable)', collect)
    .option('--bcc <address>', 'blind copy recipient (repeatable)', collect)
    .requiredOption('--subject <text>', 'the subject')
    .option('--text <text>', 'plain-text body')
    .option('--html <html>', 'HTML body')
    .option('--body-file <path>', 'body from a file (.html/.htm as HTML, anything else as text)')
    .option('--attach <file>', 'attach a file (repeatable)', collectFiles)
    .option('--from <address>', 'sender (default mail.smtp.from, else the login mailbox)')
    .option('--protocol <name>', 'smtp or smtps (default: mail.transport.protocol)')
    .action(
      runner.action<SendOptions>(async (context, options) => {
        const content = await body(context, options);
        const attachments = await Promise.all(
          (options.attach ?? []).map(async (path) => ({
            filename: basename(path),
            content: await readFileFor('--attach', path),
          })),
        );
        const protocol = await pickProtocol(context, options.protocol, 'smtp');
        const settings = (await context.config()).protocols[protocol];
        const from = options.from ?? settings?.from ?? settings?.user;
        if (from === undefined)
          throw usageError('No sender.', `Give --from, or set mail.${protocol}.from or o365.user.`);
        const transporter = await openSmtpForOneMessage(context, protocol);
        const info = await transporter
          .sendMail({
            from,
            to: options.to,
            cc: options.cc,
            bcc: options.bcc,
            subject: options.subject,
            ...content,
            attachments,
          })
          .finally(() => transporter.close());
        const accepted = info.accepted.map(String);
        const rejected = info.rejected.map(String);
        context.output.result(
          { messageId: info.messageId, from, accepted, rejected, response: info.response },
          () =>
            [
              `${context.output.colors.green('✓')} Sent ${info.messageId} from ${from}`,
              `  accepted: ${accepted.join(', ') || '-'}`,
              ...(rejected.length > 0 ? [`  rejected: ${rejected.join(', ')}`] : []),
              `  server:   ${info.response}`,
            ].join('\n'),
        );
        return undefined;
      }),
    );
}
