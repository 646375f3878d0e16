import pc from 'picocolors';
import type { CliIo } from './io.js';
import { printTable } from './table.js';
import { type Colors, terminalColors } from './terminal.js';

export type { Colors } from './terminal.js';

/** A listing for {@link Output.table}. */
export interface TableSpec {
  head: readonly string[];
  /** The rows, read once, as they are printed (a generator keeps a long listing out of memory). */
  rows: Iterable<readonly string[]>;
  /** Printed instead of the table when there are no rows. */
  empty?: string;
  /** Printed after the table. */
  footer?: string;
}

/**
 * How a command prints: its result on standard output (a JSON document under `--json`, else text),
 * notes on standard error. Colour follows picocolors (NO_COLOR, FORCE_COLOR, a terminal) and is off
 * under `--json`. Control characters in anything printed are escaped by the terminal guard the CLI's
 * io passes through (see terminal.ts); `colors` are the only sequences that reach the terminal.
 */
export class Output {
  readonly json: boolean;
  readonly colors: Colors;
  readonly #io: CliIo;

  constructor(io: CliIo, options: { json: boolean }) {
    this.#io = io;
    this.json = options.json;
    this.colors = terminalColors(!options.json && pc.isColorSupported && io.env.NO_COLOR === undefined);
  }

  /** The command's result: `data` as JSON under `--json`, else the text `render` returns. */
  result(data: unknown, render: () => string): void {
    if (this.json) this.#io.stdout(`${JSON.stringify(data, jsonReplacer, 2)}\n`);
    else {
      const text = render();
      this.#io.stdout(text.endsWith('\n') ? text : `${text}\n`);
    }
  }

  /**
   * A listing: `data` as JSON under `--json`, else the table printed row by row as `rows` yields them
   * (widths from the first rows; standard output is allowed to drain between chunks).
   */
  async table(data: unknown, spec: TableSpec): Promise<void> {
    if (this.json) {
      this.result(data, () => '');
      return;
    }
    const io = this.#io;
    const count = await printTable(
      { write: (text) => io.stdout(text), ready: () => this.ready() },
      spec.head,
      spec.rows,
      { omitIfEmpty: spec.empty !== undefined },
    );
    if (count === 0 && spec.empty !== undefined) this.line(spec.empty);
    else if (spec.footer !== undefined) this.line(spec.footer);
  }

  /**
   * Content the user asked for as stored (a message source): byte for byte when standard output is a
   * file or a pipe, with control characters escaped when it is a terminal.
   */
  raw(data: string | Uint8Array): void {
    if (this.#io.stdoutExact) this.#io.stdoutExact(data);
    else this.#io.stdout(typeof data === 'string' ? data : Buffer.from(data).toString('utf8'));
  }

  /** Resolves once standard output has room again: await it between the chunks of a long `raw` stream. */
  ready(): Promise<void> {
    return this.#io.stdoutReady?.() ?? Promise.resolve();
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
