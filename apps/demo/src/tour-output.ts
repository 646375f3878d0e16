/**
 * How the tour prints: numbered steps with ✓/✗, a short explanation of what Kalisto does at each,
 * the step's findings, and a closing summary table. Colours follow picocolors (NO_COLOR honoured).
 */
import { isKalistoError } from '@kalisto/core';
import Table from 'cli-table3';
import pc from 'picocolors';

/** The outcome of one step of the tour. */
export interface StepResult {
  readonly number: number;
  readonly title: string;
  readonly ok: boolean;
  /** One line for the summary table: what the step showed, or why it failed. */
  readonly outcome: string;
  readonly durationMs: number;
}

/** What a step's body returns: the lines to print under it and the summary line. */
export interface StepReport {
  /** Findings printed under the step, one per line. */
  readonly lines: readonly string[];
  /** The summary table's line for this step. */
  readonly outcome: string;
}

/** A step of the tour: a title, what Kalisto does (in words), and the work. */
export interface TourStep {
  readonly title: string;
  readonly explanation: string;
  run(): Promise<StepReport>;
}

const INDENT = '      ';

/** A failure as one readable paragraph: Kalisto errors carry their fix; anything else its message. */
export function describeFailure(error: unknown): string {
  if (isKalistoError(error)) {
    const hint = error.hint && !error.message.includes(error.hint) ? ` ${error.hint}` : '';
    return `${error.message}${hint} [${error.code}]`;
  }
  return error instanceof Error ? error.message : String(error);
}

/** Prints steps as they run and remembers their results. */
export class TourPrinter {
  readonly #write: (text: string) => void;
  readonly #now: () => number;
  readonly #results: StepResult[] = [];

  constructor(write: (text: string) => void, now: () => number = () => performance.now()) {
    this.#write = write;
    this.#now = now;
  }

  get results(): readonly StepResult[] {
    return this.#results;
  }

  heading(title: string, lines: readonly string[]): void {
    this.#write(`\n${pc.bold(title)}\n`);
    for (const line of lines) this.#write(`${pc.dim(line)}\n`);
    this.#write('\n');
  }

  /** Runs one step; a thrown error marks it ✗ and is printed with its fix. Never throws. */
  async run(step: TourStep): Promise<StepResult> {
    const number = this.#results.length + 1;
    const label = `${String(number).padStart(2)}`;
    this.#write(`${pc.bold(`${label}  ${step.title}`)}\n${pc.dim(wrap(step.explanation, INDENT))}\n`);
    const started = this.#now();
    let result: StepResult;
    try {
      const report = await step.run();
      const durationMs = this.#now() - started;
      for (const line of report.lines) this.#write(`${wrap(line, INDENT)}\n`);
      this.#write(`    ${pc.green('✓')} ${report.outcome} ${pc.dim(`(${formatDuration(durationMs)})`)}\n\n`);
      result = { number, title: step.title, ok: true, outcome: report.outcome, durationMs };
    } catch (error) {
      const durationMs = this.#now() - started;
      const text = describeFailure(error);
      this.#write(`    ${pc.red('✗')} ${pc.red(wrap(text, INDENT).trimStart())}\n\n`);
      result = { number, title: step.title, ok: false, outcome: firstSentence(text), durationMs };
    }
    this.#results.push(result);
    return result;
  }

  /** The closing table of every step, and the verdict line. */
  summary(): void {
    const table = new Table({
      head: ['#', 'step', 'result', 'time'],
      style: { head: [], border: [] },
      chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
      wordWrap: true,
      colWidths: [4, 34, 54, 9],
    });
    for (const r of this.#results) {
      table.push([
        String(r.number),
        r.title,
        `${r.ok ? pc.green('✓') : pc.red('✗')} ${r.outcome}`,
        formatDuration(r.durationMs),
      ]);
    }
    this.#write(`${pc.bold('Summary')}\n${table.toString()}\n`);
    const failed = this.#results.filter((r) => !r.ok).length;
    this.#write(
      failed === 0
        ? `${pc.green(pc.bold(`All ${this.#results.length} steps passed.`))}\n`
        : `${pc.red(pc.bold(`${failed} of ${this.#results.length} steps failed.`))}\n`,
    );
  }
}

export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function firstSentence(text: string): string {
  const end = text.search(/[.!?](\s|$)/);
  return end === -1 ? text : text.slice(0, end + 1);
}

/** Wraps text at 96 columns, every line indented (a word longer than a line stays whole). */
export function wrap(text: string, indent: string, width = 96): string {
  const words = text.split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    if (line !== '' && indent.length + line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines.map((l) => `${indent}${l}`).join('\n');
}
