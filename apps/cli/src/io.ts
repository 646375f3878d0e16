/** The process around the CLI, injectable so commands can be exercised without a real terminal. */
export interface CliIo {
  /** Standard output: the command's result (tables, JSON). */
  stdout(text: string): void;
  /** Standard error: progress, warnings and errors. */
  stderr(text: string): void;
  /**
   * Standard output byte for byte, for content the user asked for as stored (`read --raw`). Without
   * it, such content goes through {@link CliIo.stdout}.
   */
  stdoutExact?(data: string | Uint8Array): void;
  /** Standard output is a terminal (so even `stdoutExact` content is shown escaped). */
  stdoutIsTTY?: boolean;
  /** Resolves once standard output has room again: long listings wait on it instead of buffering. */
  stdoutReady?(): Promise<void>;
  /** Standard input (the body of `send` when no body option is given). */
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Standard error when it is a terminal: progress bars are drawn there, and only then. */
  progressStream: NodeJS.WriteStream | undefined;
  /** Environment variables (read for configuration only with `--env`; NO_COLOR always). */
  env: Readonly<Record<string, string | undefined>>;
}

/** Resolves when `stream` can take more: at once unless its buffer is full, else on `drain` (or its end). */
export function drained(stream: NodeJS.WritableStream & { writableNeedDrain?: boolean }): Promise<void> {
  if (!stream.writableNeedDrain) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (error?: unknown) => {
      stream.off('drain', done);
      stream.off('close', done);
      stream.off('error', done);
      if (error instanceof Error) reject(error);
      else resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
    stream.on('error', done);
  });
}

/** The real process. */
export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    stdoutExact: (data) => process.stdout.write(data),
    stdoutIsTTY: process.stdout.isTTY === true,
    stdoutReady: () => drained(process.stdout),
    stdin: process.stdin,
    progressStream: process.stderr.isTTY ? process.stderr : undefined,
    env: process.env,
  };
}
