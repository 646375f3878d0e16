import type { Command } from 'commander';
import { CliContext, type GlobalOptions } from './context.js';
import { errorJson, formatError } from './errors.js';
import { EXIT, type ExitCode, exitCodeFor } from './exit-codes.js';
import { withCliHint } from './hints.js';
import type { CliIo } from './io.js';

/** A command's work: positional arguments first, then its own options. Returns an exit code (default 0). */
export type CommandHandler<O> = (
  context: CliContext,
  options: O,
  args: readonly unknown[],
) => Promise<ExitCode | undefined>;

/**
 * Turns handlers into commander actions: builds the context from the global options, prints a
 * failure as one paragraph (or JSON), records the exit code and always closes the session.
 */
export class CommandRunner {
  readonly #io: CliIo;
  #exitCode: ExitCode = EXIT.ok;

  constructor(io: CliIo) {
    this.#io = io;
  }

  get exitCode(): ExitCode {
    return this.#exitCode;
  }

  action<O>(handler: CommandHandler<O>): (...params: unknown[]) => Promise<void> {
    return async (...params) => {
      const command = params.at(-1) as Command;
      const options = params.at(-2) as O;
      const args = params.slice(0, -2);
      const context = new CliContext(this.#io, command.optsWithGlobals<GlobalOptions>());
      try {
        this.#exitCode = (await handler(context, options, args)) ?? EXIT.ok;
      } catch (raw) {
        const error = withCliHint(raw);
        this.#exitCode = exitCodeFor(error);
        if (context.output.json) this.#io.stdout(errorJson(error, this.#exitCode, context.redactor));
        else this.#io.stderr(formatError(error, { debug: context.debug, redactor: context.redactor }));
      } finally {
        await context.close();
      }
    };
  }
}
