import { randomBytes } from 'node:crypto';
import { access, mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { openPop3 } from '../mail-clients.js';
import type { CommandRunner } from '../runner.js';
import { rowsOf } from '../table.js';
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
  await context.output.table(
    { messages },
    {
      head: ['NUMBER', 'UIDL', 'SIZE'],
      rows: rowsOf(messages, (m) => [String(m.number), m.uid ?? '-', formatSize(m.size)]),
      empty: 'The maildrop is empty.',
      footer: `${plural(messages.length, 'message')}.`,
    },
  );
}

/**
 * Saves one message as `dir/name`, streamed: written to a temporary file beside it, flushed to disk,
 * then renamed, so the name only ever holds a whole message. On failure the temporary file goes.
 */
async function saveMessage(message: Readable, dir: string, name: string): Promise<number> {
  const temporary = join(dir, `.${name}.${randomBytes(6).toString('hex')}.part`);
  const file = await open(temporary, 'wx');
  let bytes = 0;
  try {
    for await (const chunk of message) {
      await file.write(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
    await file.sync();
    await file.close();
    await rename(temporary, join(dir, name));
    return bytes;
  } catch (error) {
    message.destroy();
    await file.close().catch(() => undefined);
    await rm(temporary, { force: true });
    throw error;
  }
}

/** The message's bytes as they arrive: exact when piped (escaped on a terminal), and a final newline. */
async function printSource(context: CliContext, message: Readable): Promise<void> {
  let last = 0x0a;
  for await (const chunk of message) {
    const data = chunk as Buffer;
    if (data.length === 0) continue;
    context.output.raw(data);
    last = data[data.length - 1] as number;
    await context.output.ready();
  }
  if (last !== 0x0a) context.output.raw('\n');
}

/** `{ "number": n, "source": "…" }` as `--json` prints it, written piece by piece as the message arrives. */
async function printSourceJson(context: CliContext, number: number, message: Readable): Promise<void> {
  const decoder = new StringDecoder('utf8');
  const inside = (text: string) => JSON.stringify(text).slice(1, -1);
  context.io.stdout(`{\n  "number": ${number},\n  "source": "`);
  for await (const chunk of message) {
    context.io.stdout(inside(decoder.write(chunk as Buffer)));
    await context.output.ready();
  }
  context.io.stdout(`${inside(decoder.end())}"\n}\n`);
}

async function retrCommand(context: CliContext, options: Pop3Options, numberText: string) {
  const number = positiveInteger(numberText, '<number>');
  const client = await openPop3(context, options.protocol);
  const message = client.retr(number);
  if (context.output.json) await printSourceJson(context, number, message);
  else await printSource(context, message);
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
  // One message streams to disk while the next one's RETR is already queued (its stream holds back
  // the connection until read), so no message is ever held whole and no round trip is idle.
  const retr = (index: number) => {
    const number = wanted[index];
    if (number === undefined) return undefined;
    const stream = client.retr(number);
    // A failure is read from the stream when its turn comes; until then it must not go unhandled.
    stream.on('error', () => undefined);
    return { number, stream };
  };
  let next = retr(0);
  try {
    for (let index = 0; next !== undefined; index++) {
      const { number, stream } = next;
      next = retr(index + 1);
      const name = emlFileName(uidOf.get(number), number);
      bytes += await saveMessage(stream, dir, name);
      files.push(join(dir, name));
      bar?.increment(1, { bytes: formatSize(bytes) });
    }
  } finally {
    next?.stream.destroy();
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
    .description('print one message as stored (streamed: any size)')
    .argument('<number>', 'message number (see kalisto pop3 list)')
    .action(
      runner.action<Pop3Options>(async (context, _options, [number]) => {
        await retrCommand(context, context.options as Pop3Options, String(number));
        return undefined;
      }),
    );
  pop3
    .command('download')
    .description(
      'save every message as DIR/<uidl>.eml, each streamed to a temporary file then renamed (skips files already there), with a progress bar',
    )
    .argument('<dir>', 'directory to save to (created if missing)')
    .action(
      runner.action<Pop3Options>(async (context, _options, [dir]) => {
        await downloadCommand(context, context.options as Pop3Options, String(dir));
        return undefined;
      }),
    );
}
