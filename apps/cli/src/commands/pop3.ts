import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { openPop3 } from '../mail-clients.js';
import type { CommandRunner } from '../runner.js';
import { plainTable } from '../table.js';
import { formatSize, plural, positiveInteger } from '../text.js';

/** `kalisto pop3 --protocol`, which its subcommands see among their global options. */
interface Pop3Options {
  protocol?: string;
}

/** A UIDL as a file name: only letters, digits, `-`, `_`, `.`; anything else becomes `_`. */
export function emlFileName(uid: string | undefined, number: number): string {
  const safe = uid?.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  return `${safe || `message-${number}`}.eml`;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function listCommand(context: CliContext, options: Pop3Options) {
  const client = await openPop3(context, options.protocol);
  const [sizes, uids] = [await client.list(), await client.uidl()];
  const uidOf = new Map(uids.map((u) => [u.number, u.uid]));
  const messages = sizes.map((m) => ({ number: m.number, uid: uidOf.get(m.number), size: m.size }));
  context.output.result({ messages }, () =>
    messages.length === 0
      ? 'The maildrop is empty.'
      : `${plainTable(
          ['NUMBER', 'UIDL', 'SIZE'],
          messages.map((m) => [String(m.number), m.uid ?? '-', formatSize(m.size)]),
        )}\n${plural(messages.length, 'message')}.`,
  );
}

async function retrCommand(context: CliContext, options: Pop3Options, numberText: string) {
  const number = positiveInteger(numberText, '<number>');
  const client = await openPop3(context, options.protocol);
  const source = (await client.retrBuffer(number)).toString('utf8');
  context.output.result({ number, source }, () => source);
}

async function downloadCommand(context: CliContext, options: Pop3Options, dir: string) {
  const client = await openPop3(context, options.protocol);
  await mkdir(dir, { recursive: true });
  const uidOf = new Map((await client.uidl()).map((u) => [u.number, u.uid]));
  const sizes = await client.list();
  const wanted: number[] = [];
  let skipped = 0;
  for (const { number } of sizes) {
    if (await exists(join(dir, emlFileName(uidOf.get(number), number)))) skipped += 1;
    else wanted.push(number);
  }
  const stream = context.output.json ? undefined : context.io.progressStream;
  const { Presets, SingleBar } = await import('cli-progress');
  const bar = stream
    ? new SingleBar(
        { stream, format: 'downloading {bar} {value}/{total} messages, {bytes}', hideCursor: true },
        Presets.shades_classic,
      )
    : undefined;
  bar?.start(wanted.length, 0, { bytes: formatSize(0) });
  const files: string[] = [];
  let bytes = 0;
  try {
    for await (const message of client.retrMany(wanted)) {
      const file = join(dir, emlFileName(uidOf.get(message.number), message.number));
      await writeFile(file, message.data, { flag: 'wx' });
      files.push(file);
      bytes += message.data.length;
      bar?.increment(1, { bytes: formatSize(bytes) });
    }
  } finally {
    bar?.stop();
  }
  context.output.result(
    { dir, downloaded: files.length, skipped, bytes, files },
    () =>
      `${context.output.colors.green('✓')} ${plural(files.length, 'message')} (${formatSize(bytes)}) saved to ${dir}${skipped ? `; ${skipped} already there, skipped` : ''}.`,
  );
}

/** `kalisto pop3 list|retr|download`: the maildrop over POP3. */
export function registerPop3(program: Command, runner: CommandRunner): void {
  const pop3 = program
    .command('pop3')
    .description('the maildrop over POP3: list, retr, download')
    .option('--protocol <name>', 'pop3 or pop3s (default: mail.store.protocol when POP3, else pop3s)');
  pop3
    .command('list')
    .description('list messages: number, unique id, size')
    .action(
      runner.action<Pop3Options>(async (context) => {
        await listCommand(context, context.options as Pop3Options);
        return undefined;
      }),
    );
  pop3
    .command('retr')
    .description('print one message as stored')
    .argument('<number>', 'message number (see kalisto pop3 list)')
    .action(
      runner.action<Pop3Options>(async (context, _options, [number]) => {
        await retrCommand(context, context.options as Pop3Options, String(number));
        return undefined;
      }),
    );
  pop3
    .command('download')
    .description('save every message as DIR/<uidl>.eml (skips files already there), with a progress bar')
    .argument('<dir>', 'directory to save to (created if missing)')
    .action(
      runner.action<Pop3Options>(async (context, _options, [dir]) => {
        await downloadCommand(context, context.options as Pop3Options, String(dir));
        return undefined;
      }),
    );
}
