/** The process around the CLI, injectable so commands can be exercised without a real terminal. */
export interface CliIo {
  /** Standard output: the command's result (tables, JSON). */
  stdout(text: string): void;
  /** Standard error: progress, warnings and errors. */
  stderr(text: string): void;
  /** Standard input (the body of `send` when no body option is given). */
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Standard error when it is a terminal: progress bars are drawn there, and only then. */
  progressStream: NodeJS.WriteStream | undefined;
  /** Environment variables (read for configuration only with `--env`; NO_COLOR always). */
  env: Readonly<Record<string, string | undefined>>;
}

/** The real process. */
export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    stdin: process.stdin,
    progressStream: process.stderr.isTTY ? process.stderr : undefined,
    env: process.env,
  };
}
