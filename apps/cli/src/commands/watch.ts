import type { WatchStart } from '@kalisto/protocol-imap';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { describeError } from '../errors.js';
import { openImap, pickProtocol } from '../mail-clients.js';
import { type MetricsAddress, parseMetricsAddress, startCliTelemetry } from '../metrics-server.js';
import type { CommandRunner } from '../runner.js';
import { formatDate, oneLine, positiveInteger } from '../text.js';

interface WatchOptions {
  protocol?: string;
  all?: boolean;
  count?: string;
  metrics?: string;
}

/**
 * `kalisto watch [folder]`: prints each new message as it arrives (IMAP IDLE) until Ctrl-C or
 * `--count`; reconnects with a fresh token after token expiry or a lost connection.
 */
export function registerWatch(program: Command, runner: CommandRunner): void {
  program
    .command('watch')
    .description('print new messages as they arrive (IMAP IDLE) until Ctrl-C; reconnects by itself')
    .argument('[folder]', 'the folder', 'INBOX')
    .option('--all', 'print the messages already in the folder first')
    .option('--count <n>', 'stop after n messages')
    .option('--protocol <name>', 'imap or imaps (default: mail.store.protocol, else imaps)')
    .option(
      '--metrics <host:port>',
      'serve Prometheus text at http://host:port/metrics while watching (host default 127.0.0.1)',
    )
    .action(
      runner.action<WatchOptions>(async (context, options, [folderArg]) => {
        const folder = String(folderArg);
        const limit = options.count === undefined ? undefined : positiveInteger(options.count, '--count');
        const metricsAt = options.metrics === undefined ? undefined : parseMetricsAddress(options.metrics);
        // Before the first session: the Kalisto instance records into the providers registered here.
        const telemetry = await startCliTelemetry({
          serviceName: 'kalisto-cli',
          metrics: metricsAt,
          env: context.io.env,
        });
        try {
          return await watchFolder(context, options, folder, limit, telemetry?.address);
        } finally {
          await telemetry?.close();
        }
      }),
    );
}

async function watchFolder(
  context: CliContext,
  options: WatchOptions,
  folder: string,
  limit: number | undefined,
  metricsAt: MetricsAddress | undefined,
): Promise<undefined> {
  const protocol = await pickProtocol(context, options.protocol, 'imap');
  // One login first: a configuration that cannot log in fails now, clearly, not after retries.
  // It also fixes where "new" begins: after the last message present when the command started.
  const probe = await openImap(context, protocol);
  const status = await probe.status(folder, { uidNext: true, uidValidity: true });
  await probe.logout(); // the watcher opens its own connections
  const session = await context.session();
  const { watch } = await import('@kalisto/protocol-imap');
  let start: WatchStart = options.all ? 'all' : 'new';
  if (!options.all && status !== false && status.uidNext !== undefined) {
    start = { uid: status.uidNext - 1, uidValidity: status.uidValidity };
  }
  let seen = 0;
  const c = context.output.colors;
  const watcher = watch(
    session,
    folder,
    async (message) => {
      const sender = message.envelope?.from?.[0];
      const from = sender?.address ?? sender?.name ?? '';
      const subject = message.envelope?.subject ?? '';
      const date = message.envelope?.date ?? message.internalDate;
      if (context.output.json) {
        context.output.line(
          JSON.stringify({ folder, uid: message.uid, date, from, subject, size: message.size }),
        );
      } else {
        context.output.line(
          `${formatDate(date)}  ${String(message.uid).padStart(6)}  ${oneLine(from, 32).padEnd(32)}  ${oneLine(subject, 60)}`,
        );
      }
      seen += 1;
      if (limit !== undefined && seen >= limit) void watcher.stop();
    },
    {
      protocol,
      start,
      query: { uid: true, envelope: true, internalDate: true, size: true },
      onError: (error, info) => {
        const { message } = describeError(error);
        if (info.fatal) return;
        const wait =
          info.delayMs === undefined ? '' : `; reconnecting in ${Math.ceil(info.delayMs / 1000)} s`;
        context.output.note(`${c.yellow('connection lost:')} ${context.redactor.text(message)}${wait}`);
      },
    },
  );
  const stop = () => void watcher.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  if (metricsAt) context.output.note(`Metrics at http://${hostPort(metricsAt)}/metrics`);
  if (!context.output.json) context.output.note(c.dim(`Watching ${folder} (Ctrl-C to stop)…`));
  try {
    await watcher.done;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  return undefined;
}

const hostPort = ({ host, port }: MetricsAddress) =>
  host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
