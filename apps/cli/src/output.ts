import pc from 'picocolors';
import type { CliIo } from './io.js';

export type Colors = ReturnType<typeof pc.createColors>;

/**
 * How a command prints: its result on standard output (a JSON document under `--json`, else text),
 * notes on standard error. Colour follows picocolors (NO_COLOR, FORCE_COLOR, a terminal) and is off
 * under `--json`.
 */
export class Output {
  readonly json: boolean;
  readonly colors: Colors;
  readonly #io: CliIo;

  constructor(io: CliIo, options: { json: boolean }) {
    this.#io = io;
    this.json = options.json;
    this.colors = pc.createColors(!options.json && pc.isColorSupported && io.env.NO_COLOR === undefined);
  }

  /** The command's result: `data` as JSON under `--json`, else the text `render` returns. */
  result(data: unknown, render: () => string): void {
    if (this.json) this.#io.stdout(`${JSON.stringify(data, jsonReplacer, 2)}\n`);
    else {
      const text = render();
      this.#io.stdout(text.endsWith('\n') ? text : `${text}\n`);
    }
  }

  /** A line of text on standard output (streaming commands such as `watch` and `pop3 retr`). */
  line(text: string): void {
    this.#io.stdout(`${text}\n`);
  }

  /** A note for the person at the terminal, on standard error. */
  note(text: string): void {
    this.#io.stderr(`${text}\n`);
  }

  /** A warning on standard error. */
  warn(text: string): void {
    this.#io.stderr(`${this.colors.yellow('warning:')} ${text}\n`);
  }
}

/** JSON for values JSON.stringify cannot take (bigint UIDVALIDITY, Dates stay ISO strings). */
function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
