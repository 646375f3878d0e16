#!/usr/bin/env node
/**
 * `kalisto-sandbox`: starts the sandbox in the foreground, prints where everything listens and
 * the fixture credentials, writes the CA certificate to a file, and stops cleanly on Ctrl-C.
 * Argument parsing uses node:util's parseArgs: a handful of numeric flags need no dependency.
 */
import { realpathSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { KalistoError } from '@kalisto/core';
import { propertiesText } from './properties.js';
import { type Sandbox, startSandbox } from './sandbox.js';

const PORT_FLAGS = ['identity', 'imap', 'imaps', 'pop3', 'pop3s', 'smtp', 'smtps'] as const;

export const CLI_USAGE = `Usage: kalisto-sandbox [options]

Starts an offline Office 365 (identity platform + IMAP, POP3, SMTP) on loopback.

Options:
  --host HOST             address to listen on (default 127.0.0.1)
  --identity-port N       HTTPS identity platform port (default: ephemeral)
  --imap-port N           IMAP with STARTTLS          --imaps-port N   IMAP over TLS
  --pop3-port N           POP3 with STLS              --pop3s-port N   POP3 over TLS
  --smtp-port N           SMTP with STARTTLS          --smtps-port N   SMTP over TLS
  --seed N                seed of the fixture ids and secrets (default 1)
  --ca-file PATH          where to write the CA certificate (default: a new temp dir)
  --print-properties      print JavaMail properties for the sandbox and exit on Ctrl-C as usual
  -h, --help              show this help
`;

export interface SandboxCliOptions {
  host?: string;
  ports: Partial<Record<(typeof PORT_FLAGS)[number], number>>;
  seed?: number;
  caFile?: string;
  printProperties: boolean;
  help: boolean;
}

function cliError(message: string): KalistoError {
  return new KalistoError(`[sandbox:cli] ${message} Run kalisto-sandbox --help for the options.`, {
    code: 'SANDBOX_CLI_USAGE',
  });
}

function integer(flag: string, value: string | undefined, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > max)
    throw cliError(`--${flag} needs a whole number 0-${max}, got "${value}".`);
  return n;
}

/** Parses the command line (without `node` and the script). */
export function parseSandboxArgs(argv: readonly string[]): SandboxCliOptions {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        host: { type: 'string' },
        seed: { type: 'string' },
        'ca-file': { type: 'string' },
        'print-properties': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        ...Object.fromEntries(PORT_FLAGS.map((p) => [`${p}-port`, { type: 'string' as const }])),
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw cliError((error as Error).message);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const text = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
  const ports: SandboxCliOptions['ports'] = {};
  for (const p of PORT_FLAGS) {
    const port = integer(`${p}-port`, text(`${p}-port`), 65_535);
    if (port !== undefined) ports[p] = port;
  }
  return {
    host: text('host'),
    ports,
    seed: integer('seed', text('seed'), 2 ** 31),
    caFile: text('ca-file'),
    printProperties: values['print-properties'] === true,
    help: values.help === true,
  };
}

/** The summary printed once the sandbox runs. */
export function describeSandbox(sandbox: Sandbox, caFile: string): string {
  const { endpoints: e } = sandbox;
  const lines = [
    'Kalisto sandbox is running. Ctrl-C stops it.',
    '',
    `  identity   ${e.authority}   (token URL ${e.tokenUrl})`,
    `  imap       ${e.imap.host}:${e.imap.port} (STARTTLS)   imaps ${e.imaps.host}:${e.imaps.port}`,
    `  pop3       ${e.pop3.host}:${e.pop3.port} (STLS)       pop3s ${e.pop3s.host}:${e.pop3s.port}`,
    `  smtp       ${e.smtp.host}:${e.smtp.port} (STARTTLS)   smtps ${e.smtps.host}:${e.smtps.port}`,
    `  CA         ${caFile}`,
    '',
  ];
  let fixtures: Sandbox['fixtures'] | undefined;
  try {
    fixtures = sandbox.fixtures;
  } catch {
    fixtures = undefined;
  }
  if (fixtures) {
    const f = fixtures;
    lines.push(
      `Tenant ${f.tenant.domain} (${f.tenant.id}); foreign tenant ${f.foreignTenant.domain} (${f.foreignTenant.id})`,
      `  daemon app   ${f.confidentialApp.clientId}  secret ${f.confidentialApp.secret}`,
      `  public app   ${f.publicApp.clientId}  (password and device code flows)`,
      ...Object.values(f.users).map((u) => `  user         ${u.upn}  password ${u.password}`),
      `  shared       ${f.sharedMailbox} (FullAccess + SendAs: ${f.users.megan.upn})`,
      `Device code sign-in page: ${e.authority}/devicelogin`,
      '',
    );
  }
  return lines.join('\n');
}

export interface RunningSandboxCli {
  sandbox: Sandbox;
  caFile: string;
  /** Stops the sandbox and removes the temp CA directory if the CLI created it. */
  stop(): Promise<void>;
}

/** Starts the sandbox as the CLI does, writing its output through `print`. */
export async function runSandboxCli(
  argv: readonly string[],
  print: (text: string) => void,
): Promise<RunningSandboxCli | undefined> {
  const options = parseSandboxArgs(argv);
  if (options.help) {
    print(CLI_USAGE);
    return undefined;
  }
  const sandbox = await startSandbox({ host: options.host, ports: options.ports, seed: options.seed });
  let tempDir: string | undefined;
  try {
    if (!options.caFile) tempDir = await mkdtemp(join(tmpdir(), 'kalisto-sandbox-'));
    const caFile = options.caFile ?? join(tempDir ?? '', 'ca.pem');
    await writeFile(caFile, sandbox.ca);
    print(describeSandbox(sandbox, caFile));
    if (options.printProperties) {
      print(propertiesText({ ...sandbox.properties, 'kalisto.tls.ca': `file:${caFile}` }));
    }
    return {
      sandbox,
      caFile,
      stop: async () => {
        await sandbox.stop();
        if (tempDir) await rm(tempDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await sandbox.stop();
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
    throw error;
  }
}

async function main(): Promise<void> {
  const print = (text: string) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  let running: RunningSandboxCli | undefined;
  try {
    running = await runSandboxCli(process.argv.slice(2), print);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  if (!running) return;
  const cli = running;
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    print('Stopping the sandbox…');
    cli.stop().then(
      () => print('Stopped.'),
      (error: unknown) => {
        process.stderr.write(`${(error as Error).message}\n`);
        process.exitCode = 1;
      },
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

/** True when this module is the program (also through npm's bin symlink), not an import. */
function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (!entry || typeof import.meta.url !== 'string') return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) void main();
