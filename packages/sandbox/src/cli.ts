#!/usr/bin/env node
/**
 * `kalisto-sandbox`: starts the sandbox in the foreground, prints where everything listens and
 * the fixture credentials, writes the CA certificate (and, asked to, a properties file) to disk,
 * and stops cleanly on Ctrl-C. The `kalisto-sandbox` bin is `bin/kalisto-sandbox.js`, which calls
 * {@link main}. Argument parsing uses node:util's parseArgs: a handful of flags need no dependency.
 */
import { realpathSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { KalistoError } from '@kalisto/core';
import { propertiesText } from './properties.js';
import { type Sandbox, startSandbox } from './sandbox.js';

const PORT_FLAGS = ['identity', 'imap', 'imaps', 'pop3', 'pop3s', 'smtp', 'smtps', 'graph'] as const;

export const CLI_USAGE = `Usage: kalisto-sandbox [options]

Starts an offline Office 365 (identity platform + IMAP, POP3, SMTP, Microsoft Graph) on loopback.

Options:
  --host HOST             address to listen on (default 127.0.0.1)
  --identity-port N       HTTPS identity platform port (default: ephemeral)
  --imap-port N           IMAP with STARTTLS          --imaps-port N   IMAP over TLS
  --pop3-port N           POP3 with STLS              --pop3s-port N   POP3 over TLS
  --smtp-port N           SMTP with STARTTLS          --smtps-port N   SMTP over TLS
  --graph-port N          Microsoft Graph (HTTPS)
  --seed N                seed of the fixture ids and secrets (default 1)
  --ca-file PATH          where to write the CA certificate (default: beside the
                          --write-properties file as sandbox-ca.pem, else a new temp dir)
  --write-properties FILE write the Kalisto properties for this sandbox to FILE (and its CA
                          beside it), e.g. kalisto --config FILE doctor; rewrite it at each start
  --print-properties      print the same properties on standard output
  -h, --help              show this help

The properties hold this sandbox's fixture secrets (they open nothing else): keep them out of
version control. This repository's .gitignore ignores sandbox.properties and sandbox-ca.pem.
`;

/** The CA's file name beside a --write-properties file (git-ignored in this repository). */
export const SANDBOX_CA_FILE_NAME = 'sandbox-ca.pem';

export interface SandboxCliOptions {
  host?: string;
  ports: Partial<Record<(typeof PORT_FLAGS)[number], number>>;
  seed?: number;
  caFile?: string;
  /** `--write-properties FILE`. */
  propertiesFile?: string;
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
        'write-properties': { type: 'string' },
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
    propertiesFile: text('write-properties'),
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
    `  graph      ${e.graph.url}`,
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

/** `file:` reference from a properties file to the CA: relative when the CA is beside it or below. */
function caReference(propertiesFile: string, caFile: string): string {
  const path = relative(dirname(propertiesFile), caFile);
  return path.startsWith('..') || isAbsolute(path) ? caFile : path.split(sep).join('/');
}

/** What the CLI says after writing a properties file. */
export function describeWrittenProperties(propertiesFile: string, reference: string): string {
  return [
    `Wrote ${propertiesFile}: the Kalisto properties for this sandbox (kalisto.tls.ca=file:${reference}, read from the file's own directory).`,
    "They hold this sandbox's fixture secrets, which open nothing else; keep them out of version control (this repository's .gitignore ignores sandbox.properties and sandbox-ca.pem).",
    'The ports and the CA change at each start: the file is rewritten each time.',
    `Try: kalisto --config ${propertiesFile} doctor`,
    '',
  ].join('\n');
}

export interface RunningSandboxCli {
  sandbox: Sandbox;
  caFile: string;
  /** The properties file written (`--write-properties`), absolute. */
  propertiesFile?: string;
  /** Stops the sandbox and removes the temp CA directory if the CLI created it. */
  stop(): Promise<void>;
}

/** Writes the properties (readable by the owner only: they hold the fixture secrets) and returns the CA reference used. */
async function writeProperties(sandbox: Sandbox, propertiesFile: string, caFile: string): Promise<string> {
  const reference = caReference(propertiesFile, caFile);
  const text = propertiesText({ ...sandbox.properties, 'kalisto.tls.ca': `file:${reference}` });
  await writeFile(propertiesFile, text, { mode: 0o600 });
  await chmod(propertiesFile, 0o600);
  return reference;
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
  const propertiesFile = options.propertiesFile === undefined ? undefined : resolve(options.propertiesFile);
  let tempDir: string | undefined;
  try {
    if (!options.caFile && !propertiesFile) tempDir = await mkdtemp(join(tmpdir(), 'kalisto-sandbox-'));
    if (propertiesFile) await mkdir(dirname(propertiesFile), { recursive: true });
    const caFile = resolve(
      options.caFile ??
        (propertiesFile
          ? join(dirname(propertiesFile), SANDBOX_CA_FILE_NAME)
          : join(tempDir ?? '', 'ca.pem')),
    );
    await writeFile(caFile, sandbox.ca);
    print(describeSandbox(sandbox, caFile));
    if (propertiesFile) {
      const reference = await writeProperties(sandbox, propertiesFile, caFile);
      print(describeWrittenProperties(propertiesFile, reference));
    }
    if (options.printProperties) {
      print(propertiesText({ ...sandbox.properties, 'kalisto.tls.ca': `file:${caFile}` }));
    }
    return {
      sandbox,
      caFile,
      ...(propertiesFile === undefined ? {} : { propertiesFile }),
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

/** The program: runs until SIGINT/SIGTERM, then stops the sandbox. Exit code 2 for a bad command line. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  const print = (text: string) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  let running: RunningSandboxCli | undefined;
  try {
    running = await runSandboxCli(argv, print);
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
