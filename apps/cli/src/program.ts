/**
 * The `kalisto` program: global options, the commands, help with the exit codes, and commander's
 * own errors (unknown option, missing argument) mapped to exit code 2.
 */
import { createRequire } from 'node:module';
import { createRedactor } from '@kalisto/core/plugin';
import { Command, CommanderError } from 'commander';
import { registerConfig } from './commands/config.js';
import { registerDoctor } from './commands/doctor.js';
import { registerFolders } from './commands/folders.js';
import { registerImportWebsphere } from './commands/import-websphere.js';
import { registerList } from './commands/list.js';
import { registerLogin } from './commands/login.js';
import { registerPop3 } from './commands/pop3.js';
import { registerRead } from './commands/read.js';
import { registerRelay } from './commands/relay.js';
import { registerSend } from './commands/send.js';
import { registerToken } from './commands/token.js';
import { registerWatch } from './commands/watch.js';
import { formatError } from './errors.js';
import { EXIT, EXIT_CODES_HELP, exitCodeFor } from './exit-codes.js';
import { type CliIo, processIo } from './io.js';
import { CommandRunner } from './runner.js';
import { guardTerminal } from './terminal.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

const CONFIG_HELP = `Configuration (the property names of the WebSphere mail session, e.g. o365.oauth.tenant):
  --config FILE      a .properties or .json file (repeatable; default $KALISTO_CONFIG)
  -D prop=value      one property (repeatable; wins over files)
  --env              also read O365_*, MAIL_*, KALISTO_* variables (O365_OAUTH_CLIENTID sets
                     o365.oauth.clientId); files and -D win over the environment`;

/** Builds the program; `runner` records each command's exit code. */
export function createProgram(io: CliIo, runner: CommandRunner): Command {
  const program = new Command('kalisto')
    .description('Microsoft 365 mailboxes over IMAP, POP3 and SMTP with OAuth2: diagnose, read and send.')
    .version(version, '-V, --version')
    .option('--config <file>', 'configuration file, .properties or .json (repeatable)', collect)
    .option('-D, --define <prop=value>', 'set one property (repeatable)', collect)
    .option('--env', 'read O365_*, MAIL_*, KALISTO_* environment variables as properties')
    .option('--json', 'print the result as JSON')
    .option('--verbose', 'log what Kalisto does (standard error)')
    .option('--debug', 'log everything and show stack traces')
    .showHelpAfterError('(run kalisto --help for usage)')
    .addHelpText('after', `\n${CONFIG_HELP}\n\n${EXIT_CODES_HELP}\n`)
    .configureOutput({
      writeOut: (text) => io.stdout(text),
      writeErr: (text) => io.stderr(text),
    })
    .exitOverride()
    .hook('preAction', (_program, command) => {
      const globals = command.optsWithGlobals<{ config?: string[] }>();
      if (globals.config === undefined && io.env.KALISTO_CONFIG) {
        program.setOptionValue('config', [io.env.KALISTO_CONFIG]);
      }
    });

  for (const register of [
    registerConfig,
    registerLogin,
    registerToken,
    registerDoctor,
    registerFolders,
    registerList,
    registerRead,
    registerSend,
    registerWatch,
    registerPop3,
    registerImportWebsphere,
    registerRelay,
  ]) {
    register(program, runner);
  }
  for (const command of program.commands) {
    command.exitOverride().configureOutput(program.configureOutput());
    for (const sub of command.commands) sub.exitOverride().configureOutput(program.configureOutput());
  }
  return program;
}

/**
 * Runs the CLI on `argv` (without `node` and the script) and returns the exit code. Everything it
 * prints passes through the terminal guard: control characters show escaped, whatever their source.
 */
export async function runCli(argv: readonly string[], rawIo: CliIo = processIo()): Promise<number> {
  const io = guardTerminal(rawIo);
  const runner = new CommandRunner(io);
  const program = createProgram(io, runner);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help, `help` and --version succeed; help shown because no command was given is a usage error.
      if (error.code === 'commander.help') return argv.length === 0 ? EXIT.usage : EXIT.ok;
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version'
        ? EXIT.ok
        : EXIT.usage;
    }
    io.stderr(formatError(error, { debug: argv.includes('--debug'), redactor: createRedactor() }));
    return exitCodeFor(error);
  }
  return runner.exitCode;
}
